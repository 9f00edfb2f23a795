"""Profile pictures (seed 002 `POST /upload-avatar`): checked, re-encoded and stored under
MEDIA_DIR, and found again to be served.

An upload is refused when it is larger than `AVATAR_MAX_BYTES` (413 `avatar_too_large`), is
not an image Pillow can read (422 `invalid_image`), is an image of another type than JPEG,
PNG, WebP or GIF (415 `unsupported_image_type`), or is wider or taller than
`AVATAR_MAX_DIMENSION` pixels, which also stops decompression bombs before a pixel is
decoded (422 `avatar_dimensions_too_large`; Pillow's own `DecompressionBombError` answers
the same). Pillow checks the file (`Image.open` + `verify`), then it is opened again and
decoded: its EXIF orientation applied, the first frame of an animation taken, scaled down to
at most AVATAR_SIZE x AVATAR_SIZE, and written as a new WebP image (PNG when this Pillow has
no WebP) made from the pixels alone, so no metadata (EXIF with GPS, XMP, ICC, comments)
survives.

Files: `<MEDIA_DIR>/avatars/<user id>/<22 random URL-safe characters>.webp`, served at
`/api/v1/media/avatars/<user id>/<file>`; a new avatar deletes the file it replaces.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError, features

import config
from models.db import atomic, is_postgres, utcnow
from models.users import User
from services.customers.profiles import get_profile, profile_of, upsert_profile
from services.errors import DomainError, NotFound, ValidationFailed

AVATAR_SIZE = 512  # pixels, the longest side of a stored avatar
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
URL_PREFIX = "/api/v1/media/avatars"
FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{22}\.(webp|png)$")
USER_ID = re.compile(r"^usr_[A-Za-z0-9]{1,40}$")
MEDIA_TYPES = {"webp": "image/webp", "png": "image/png"}


class AvatarTooLarge(DomainError):
    """The upload is larger than AVATAR_MAX_BYTES (413)."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "avatar_too_large"


class UnsupportedImageType(DomainError):
    """An image, but not JPEG, PNG, WebP or GIF (415)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    reason = "unsupported_image_type"


def avatar_dir(user_id: str) -> Path:
    """`<MEDIA_DIR>/avatars/<user id>`."""
    return Path(config.get().media_dir) / "avatars" / user_id


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, reason="invalid_image", details=[{"field": "avatar", "message": message}])


def _too_big(limit: int) -> ValidationFailed:
    message = f"The image must be at most {limit} pixels wide and tall"
    return ValidationFailed(message, reason="avatar_dimensions_too_large",
                            details=[{"field": "avatar", "message": message}])


def _open(raw: bytes) -> Image.Image:
    """The upload opened (header only) as one of ALLOWED_FORMATS; the errors of the module docstring."""
    try:
        return Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_big(config.get().avatar_max_dimension) from None
    except UnidentifiedImageError:
        pass
    except Exception:  # noqa: BLE001 - a malformed header of an allowed format
        raise _invalid("The file is not a readable image") from None
    try:
        with Image.open(io.BytesIO(raw)) as other:  # another type Pillow knows: say which
            found = other.format
    except Exception:  # noqa: BLE001 - not an image at all
        raise _invalid("The file is not an image (JPEG, PNG, WebP or GIF)") from None
    raise UnsupportedImageType(f"{found} images are not accepted: send JPEG, PNG, WebP or GIF",
                               details=[{"field": "avatar", "message": "JPEG, PNG, WebP or GIF"}])


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
    if not raw:
        raise _invalid("The file is empty")
    with _open(raw) as probe:
        width, height = probe.size
        if width > settings.avatar_max_dimension or height > settings.avatar_max_dimension:
            raise _too_big(settings.avatar_max_dimension)
        if width < 1 or height < 1:
            raise _invalid("The image has no pixels")
        try:
            probe.verify()
        except Exception:  # noqa: BLE001 - verify raises whatever the plugin met
            raise _invalid("The image is damaged") from None
    try:
        with Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and
                                                                  "transparency" in upright.info)
            pixels = upright.convert("RGBA" if has_alpha else "RGB")
    except Image.DecompressionBombError:
        raise _too_big(settings.avatar_max_dimension) from None
    except Exception:  # noqa: BLE001 - truncated or corrupt pixel data
        raise _invalid("The image is damaged or truncated") from None
    pixels.thumbnail((AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # pixels only: no info, no EXIF
    out = io.BytesIO()
    if features.check("webp"):
        bare.save(out, format="WEBP", quality=85, method=4)
        return out.getvalue(), "webp"
    bare.save(out, format="PNG", optimize=True)
    return out.getvalue(), "png"


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
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(16)}.{extension}"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(encoded)
    os.replace(temporary, folder / name)
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

