"""Uploaded media on disk (under MEDIA_DIR): a new file is written under a random name and
appears whole or not at all, so a reader never serves half a file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def store_new_file(folder: Path, data: bytes, extension: str) -> str:
    """Write `data` to `folder` (created if missing) as `<22 random URL-safe characters>.<extension>`
    through a temporary file renamed into place (atomic on one file system). Returns the name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(16)}.{extension}"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, folder / name)
    return name
