"""Single-file multipart uploads (avatars, review photos and videos): the one file part read up
to a byte bound, every other form field refused."""

from __future__ import annotations

from flask import request

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
