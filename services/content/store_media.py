"""Store logos and banners: uploaded like every image (services.platform.images.clean_image:
JPEG, PNG, WebP or GIF read by Pillow, EXIF orientation applied, metadata dropped, re-encoded
as WebP, PNG without WebP), scaled to at most LOGO_SIZE (logo) or BANNER_SIZE (banner) pixels
a side, uploads at most STORE_IMAGE_MAX_BYTES.

Files: `<MEDIA_DIR>/stores/<store id>/<22 random URL-safe characters>.webp`, served at
`/api/v1/media/stores/<store id>/<file>` (a new name per upload, so it is cached forever); a new
image deletes the file it replaces once the row points at the new one.
"""

from __future__ import annotations

import re
from pathlib import Path

import config
from models.catalog import Store
from models.db import atomic, utcnow
from models.users import User
from services.content.store_writes import check_can_edit
from services.content.stores import get_store
from services.errors import NotFound, PayloadTooLarge, ValidationFailed
from services.platform import catalog_ttl, images, media_files

STORE_IMAGE_MAX_BYTES = 10 * 1024 * 1024
STORE_IMAGE_MAX_DIMENSION = 12_000  # pixels, width and height of an upload (stops decompression bombs)
SIZES = {"logo": 512, "banner": 2048}  # pixels, the longest side of a stored logo / banner
LOGO_SIZE, BANNER_SIZE = SIZES["logo"], SIZES["banner"]
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.(webp|png)$")


class StoreImageTooLarge(PayloadTooLarge):
    """The upload is larger than STORE_IMAGE_MAX_BYTES (413)."""

    reason = "store_image_too_large"


class StoreImageDimensionsTooLarge(ValidationFailed):
    """The image is wider or taller than STORE_IMAGE_MAX_DIMENSION pixels (422)."""

    reason = "store_image_dimensions_too_large"


def _folder(store_id: str) -> Path:
    return Path(config.get().media_dir) / "stores" / store_id


def store_image(ref: str, kind: str, raw: bytes | None, user: User, as_admin: bool) -> Store:
    """Store `raw` as the store's `kind` ("logo" or "banner"), as an admin or the store's staff.
    Returns the store. Raises NotFound (404 `store_not_found`), NotAllowed (403
    `store_staff_only`), StoreImageTooLarge (413), UnsupportedImageType (415), ValidationFailed
    (422 `missing_store_image`, `invalid_image`, `store_image_dimensions_too_large`)."""
    store = get_store(ref, user, as_admin)
    check_can_edit(store, user, as_admin)
    if raw is None:
        raise ValidationFailed("Send the image as multipart/form-data field 'image'", reason="missing_store_image",
                               details=[{"field": "image", "message": "Missing file"}])
    if len(raw) > STORE_IMAGE_MAX_BYTES:
        raise StoreImageTooLarge(f"The image must be at most {STORE_IMAGE_MAX_BYTES} bytes",
                                 details=[{"field": "image", "message": f"At most {STORE_IMAGE_MAX_BYTES} bytes"}])
    encoded, extension = images.clean_image(raw, longest_side=SIZES[kind], max_dimension=STORE_IMAGE_MAX_DIMENSION,
                                            field="image", too_wide=StoreImageDimensionsTooLarge)
    folder = _folder(store.id)
    name = media_files.store_new_file(folder, encoded, extension)
    column = getattr(Store, kind)
    try:
        with atomic():
            catalog_ttl.invalidate_after_commit()  # the cached homepage sections
            previous = Store.select(column).where(Store.id == store.id).scalar()
            Store.update({column: name, Store.updated_at: utcnow()}).where(Store.id == store.id).execute()
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    if previous and previous != name:
        (folder / previous).unlink(missing_ok=True)
    return Store.get_by_id(store.id)


def store_image_file(store_id: str, file_name: str) -> tuple[Path, str]:
    """The stored logo or banner file `file_name` of the store and its media type, while the store
    uses it. Raises NotFound (404 `store_image_not_found`)."""
    store = Store.get_or_none(Store.id == store_id)
    if store is None or not FILE_NAME.match(file_name) or file_name not in (store.logo, store.banner):
        raise NotFound("No such store image", reason="store_image_not_found")
    path = _folder(store.id) / file_name
    if not path.is_file():
        raise NotFound("No such store image", reason="store_image_not_found")
    return path, images.MEDIA_TYPES[file_name.rsplit(".", 1)[1]]
