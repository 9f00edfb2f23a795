"""Slugs: URL-safe ASCII names for products and categories."""

from __future__ import annotations

import re
import unicodedata


def slugify(text: str, max_length: int = 200) -> str:
    """`"Crème Brûlée 30ml!"` -> `"creme-brulee-30ml"` (ASCII, lower-case, hyphens); "" when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")
