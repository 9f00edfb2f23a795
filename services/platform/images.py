"""Uploaded images checked and re-encoded from their pixels alone (avatars, review photos).

`clean_image(raw, ...)` refuses a file that is not an image Pillow can read (422
`invalid_image`), an image of another type than JPEG, PNG, WebP or GIF (415
`unsupported_image_type`), or one wider or taller than `max_dimension` pixels, which also stops
decompression bombs before a pixel is decoded (422, the caller's `too_wide` error class, so each
use keeps its own reason; Pillow's own `DecompressionBombError` answers the same). Pillow checks
the file (`Image.open` + `verify`), then it is opened again and decoded: its EXIF orientation
applied, the first frame of an animation taken, scaled down to at most `longest_side` pixels a
side, and written as a new WebP image (PNG when this Pillow has no WebP) made from the pixels
alone, so no metadata (EXIF with GPS, XMP, ICC, comments) survives. Byte-size limits are the
callers' (each has its own setting and reason).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError, features

from services.errors import DomainError, ValidationFailed

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MEDIA_TYPES = {"webp": "image/webp", "png": "image/png"}
"""extension of a cleaned image -> its media type."""


class UnsupportedImageType(DomainError):
    """An image, but not JPEG, PNG, WebP or GIF (415)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    reason = "unsupported_image_type"


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, reason="invalid_image", details=[{"field": field, "message": message}])


def _too_wide(too_wide: type[ValidationFailed], limit: int, field: str) -> ValidationFailed:
    message = f"The image must be at most {limit} pixels wide and tall"
    return too_wide(message, details=[{"field": field, "message": message}])


def _open(raw: bytes, max_dimension: int, field: str, too_wide: type[ValidationFailed]) -> Image.Image:
    """The upload opened (header only) as one of ALLOWED_FORMATS; the errors of the module docstring."""
    try:
        return Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_wide(too_wide, max_dimension, field) from None
    except UnidentifiedImageError:
        pass
    except Exception:  # noqa: BLE001 - a malformed header of an allowed format
        raise _invalid("The file is not a readable image", field) from None
    try:
        with Image.open(io.BytesIO(raw)) as other:  # another type Pillow knows: say which
            found = other.format
    except Exception:  # noqa: BLE001 - not an image at all
        raise _invalid("The file is not an image (JPEG, PNG, WebP or GIF)", field) from None
    raise UnsupportedImageType(f"{found} images are not accepted: send JPEG, PNG, WebP or GIF",
                               details=[{"field": field, "message": "JPEG, PNG, WebP or GIF"}])


def clean_image(raw: bytes, *, longest_side: int, max_dimension: int, field: str,
                too_wide: type[ValidationFailed]) -> tuple[bytes, str]:
    """`raw` (the uploaded bytes) checked and re-encoded as the module docstring says, scaled to
    fit `longest_side` x `longest_side` pixels (never up). `field` is the form field the errors'
    details name; `too_wide` is the ValidationFailed subclass raised for an image over
    `max_dimension` pixels a side. Returns (encoded bytes, extension "webp" or "png"). Raises
    UnsupportedImageType (415), ValidationFailed (422 `invalid_image`), `too_wide` (422)."""
    if not raw:
        raise _invalid("The file is empty", field)
    with _open(raw, max_dimension, field, too_wide) as probe:
        width, height = probe.size
        if width > max_dimension or height > max_dimension:
            raise _too_wide(too_wide, max_dimension, field)
        if width < 1 or height < 1:
            raise _invalid("The image has no pixels", field)
        try:
            probe.verify()
        except Exception:  # noqa: BLE001 - verify raises whatever the plugin met
            raise _invalid("The image is damaged", field) from None
    try:
        with Image.open(io.BytesIO(raw), formats=ALLOWED_FORMATS) as image:
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and
                                                                  "transparency" in upright.info)
            pixels = upright.convert("RGBA" if has_alpha else "RGB")
    except Image.DecompressionBombError:
        raise _too_wide(too_wide, max_dimension, field) from None
    except Exception:  # noqa: BLE001 - truncated or corrupt pixel data
        raise _invalid("The image is damaged or truncated", field) from None
    pixels.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # pixels only: no info, no EXIF
    out = io.BytesIO()
    if features.check("webp"):
        bare.save(out, format="WEBP", quality=85, method=4)
        return out.getvalue(), "webp"
    bare.save(out, format="PNG", optimize=True)
    return out.getvalue(), "png"
