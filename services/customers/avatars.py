"""Profile pictures (seed 002 `POST /upload-avatar`): checked, re-encoded and stored under
MEDIA_DIR, and found again to be served.

An upload is refused when it is larger than `AVATAR_MAX_BYTES` (413 `avatar_too_large`);
otherwise it is checked and re-encoded by `services.platform.images.clean_image`: not an image
Pillow can read (422 `invalid_image`), an image of another type than JPEG, PNG, WebP or GIF (415
`unsupported_image_type`), wider or taller than `AVATAR_MAX_DIMENSION` pixels, which also stops
decompression bombs (422 `avatar_dimensions_too_large`); its EXIF orientation applied, the first
frame taken, scaled down to at most AVATAR_SIZE x AVATAR_SIZE and written as a new WebP (PNG
without WebP) from the pixels alone, so no metadata (EXIF with GPS, XMP, ICC, comments) survives.

Files: `<MEDIA_DIR>/avatars/<user id>/<22 random URL-safe characters>.webp`, served at
`/api/v1/media/avatars/<user id>/<file>`; a new avatar deletes the file it replaces.
"""

from __future__ import annotations

import re
from pathlib import Path

import config
from models.db import atomic, is_postgres, utcnow
from models.users import User
from services.customers.profiles import get_profile, profile_of, upsert_profile
from services.errors import NotFound, PayloadTooLarge, ValidationFailed
from services.platform import images, media_files

AVATAR_SIZE = 512  # pixels, the longest side of a stored avatar
URL_PREFIX = "/api/v1/media/avatars"
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.(webp|png)$")
USER_ID = re.compile(r"^usr_[A-Za-z0-9]{1,40}$")
MEDIA_TYPES = images.MEDIA_TYPES


class AvatarTooLarge(PayloadTooLarge):
    """The upload is larger than AVATAR_MAX_BYTES (413)."""

    reason = "avatar_too_large"


class AvatarDimensionsTooLarge(ValidationFailed):
    """The picture is wider or taller than AVATAR_MAX_DIMENSION pixels (422)."""

    reason = "avatar_dimensions_too_large"


def avatar_dir(user_id: str) -> Path:
    """`<MEDIA_DIR>/avatars/<user id>`."""
    return Path(config.get().media_dir) / "avatars" / user_id


def clean_image(raw: bytes) -> tuple[bytes, str]:
    """The upload (bytes) checked and re-encoded as described in the module docstring.
    Returns (encoded bytes, extension "webp" or "png"). Raises AvatarTooLarge (413),
    UnsupportedImageType (415), ValidationFailed (422 `invalid_image`,
    `avatar_dimensions_too_large`, `missing_avatar` for no file)."""
    settings = config.get()
    if raw is None:
        raise ValidationFailed("Send the picture as multipart/form-data field 'avatar'", reason="missing_avatar",
                               details=[{"field": "avatar", "message": "Missing file"}])
    if len(raw) > settings.avatar_max_bytes:
        raise AvatarTooLarge(f"The image must be at most {settings.avatar_max_bytes} bytes",
                             details=[{"field": "avatar", "message": f"At most {settings.avatar_max_bytes} bytes"}])
    return images.clean_image(raw, longest_side=AVATAR_SIZE, max_dimension=settings.avatar_max_dimension,
                              field="avatar", too_wide=AvatarDimensionsTooLarge)


def _file_of(user_id: str, url: str | None) -> Path | None:
    """The stored file an avatar URL of this user names, or None."""
    prefix = f"{URL_PREFIX}/{user_id}/"
    if not url or not url.startswith(prefix) or not FILE_NAME.match(url[len(prefix):]):
        return None
    return avatar_dir(user_id) / url[len(prefix):]


def store_avatar(user: User, raw: bytes | None) -> dict:
    """Check and re-encode the upload (`clean_image`), store it as the user's avatar and delete
    the file it replaces. Returns the profile (services.customers.profile_view) with the new
    avatarUrl. Raises what `clean_image` raises."""
    encoded, extension = clean_image(raw)
    folder = avatar_dir(user.id)
    name = media_files.store_new_file(folder, encoded, extension)
    url = f"{URL_PREFIX}/{user.id}/{name}"
    try:
        with atomic():
            if is_postgres():  # one avatar write per user at a time (SQLite: its write lock)
                list(User.select(User.id).where(User.id == user.id).for_update("FOR NO KEY UPDATE"))
            current = profile_of(user.id)
            previous = current.avatar_url if current else None
            upsert_profile(user.id, {"avatar_url": url, "last_active_at": utcnow()})
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    replaced = _file_of(user.id, previous)
    if replaced is not None and replaced.name != name:
        replaced.unlink(missing_ok=True)
    return get_profile(user)


def remove_avatar(user: User) -> dict:
    """Remove the user's avatar: `avatarUrl` becomes null and the file is deleted (after the
    commit; a missing file is fine). Returns the profile (services.customers.profile_view)."""
    with atomic():
        if is_postgres():
            list(User.select(User.id).where(User.id == user.id).for_update("FOR NO KEY UPDATE"))
        current = profile_of(user.id)
        previous = current.avatar_url if current else None
        if previous:
            upsert_profile(user.id, {"avatar_url": None, "last_active_at": utcnow()})
    removed = _file_of(user.id, previous)
    if removed is not None:
        removed.unlink(missing_ok=True)
    return get_profile(user)


def avatar_file(user_id: str, filename: str) -> tuple[Path, str]:
    """The stored avatar file `filename` of `user_id` and its media type, for serving. Only names
    this module makes are looked up (no path can leave the user's avatar folder).
    Raises NotFound (404 `avatar_not_found`)."""
    if not USER_ID.match(user_id or "") or not FILE_NAME.match(filename or ""):
        raise NotFound("Avatar not found", reason="avatar_not_found")
    path = avatar_dir(user_id) / filename
    if not path.is_file():
        raise NotFound("Avatar not found", reason="avatar_not_found")
    return path, MEDIA_TYPES[filename.rsplit(".", 1)[1]]

