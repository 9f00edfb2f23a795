"""Single-file multipart uploads (avatars, review photos and videos, proof-of-delivery photos): the
one file part read up to a byte bound, every other form field refused; and serving a stored file
back (`media_response`)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, request, send_file

from services.errors import ValidationFailed


def uploaded_file(field: str, max_bytes: int) -> bytes | None:
    """The first `max_bytes + 1` bytes of the `field` part (None without one), so the caller can
    tell a file over its limit from one at it. Raises ValidationFailed (422 `unknown_fields`) for
    any other form field or file part."""
    unknown = sorted(set(request.form) - {field}) + sorted(set(request.files) - {field})
    if unknown:
        raise ValidationFailed(f"Unknown form fields: {', '.join(unknown)[:200]}", reason="unknown_fields",
                               details=[{"field": name[:100], "message": "Unknown field"} for name in unknown[:20]])
    upload = request.files.get(field)
    return None if upload is None else upload.stream.read(max_bytes + 1)


def media_response(path: Path, media_type: str, cache_control: str, max_age: int | None = None) -> Response:
    """A stored upload as its answer: conditional (ETag, 304), `media_type` never sniffed,
    `Cache-Control: cache_control` (`max_age`: seconds for Flask's own cache headers, None: its
    default)."""
    response = send_file(path, mimetype=media_type, max_age=max_age, conditional=True, etag=True)
    response.headers["Cache-Control"] = cache_control
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
