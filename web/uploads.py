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


def multipart_form(schema, files: dict[str, int], list_fields: tuple = ()) -> tuple[dict, dict[str, bytes | None]]:
    """A multipart form of text fields and file parts: the text fields loaded with the marshmallow
    `schema` (fields in `list_fields` may repeat and load as lists), and each file part of
    `files` (name -> byte bound) read as `uploaded_file` reads one (None when absent). Raises
    ValidationFailed (422 `unknown_fields` for a file part not in `files`, `validation_failed`
    with the schema's messages)."""
    import marshmallow as ma

    unknown = sorted(set(request.files) - set(files))
    if unknown:
        raise ValidationFailed(f"Unknown file parts: {', '.join(unknown)[:200]}", reason="unknown_fields",
                               details=[{"field": name[:100], "message": "Unknown field"} for name in unknown[:20]])
    raw = {name: (request.form.getlist(name) if name in list_fields else request.form.get(name))
           for name in request.form}
    try:
        data = schema.load(raw)
    except ma.ValidationError as exc:
        messages = exc.normalized_messages()
        raise ValidationFailed("Invalid input data", details=[
            {"field": str(field)[:100], "message": "; ".join(map(str, errs)) if isinstance(errs, list) else str(errs)}
            for field, errs in messages.items()][:50]) from None
    parts = {}
    for name, limit in files.items():
        upload = request.files.get(name)
        parts[name] = None if upload is None else upload.stream.read(limit + 1)
    return data, parts
