"""Reading a Shopify product CSV: the upload checked and decoded, its rows, and typed cells
(money as integer minor units with `Decimal`, never floats; weights in grams; flags; tags).
Format reference: https://help.shopify.com/en/manual/products/import-export/using-csv
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from services.catalog.products import MAX_PRICE
from services.catalog.slugs import slugify
from services.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
GRAMS_PER_UNIT = {"g": Decimal(1), "kg": Decimal(1000), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125")}


class CsvRejected(ValidationFailed):
    """The upload is not a Shopify product CSV we can read (422, reason says why)."""


class CsvTooLarge(CsvRejected):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "file_too_large"


def decode_upload(raw: bytes) -> str:
    """The CSV text of an upload, checked: at most 5 MB, UTF-8 (a BOM is dropped),
    not binary, a header row with a `Handle` column, at least one data row.

    Raises CsvTooLarge (413) or CsvRejected (422: `empty_file`, `not_utf8`,
    `not_csv`, `missing_handle_column`, `no_rows`).
    """
    if len(raw) > MAX_UPLOAD_BYTES:
        raise CsvTooLarge(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                          details=[{"field": "file", "message": "At most 5 MB"}])
    if not raw.strip():
        raise CsvRejected("The file is empty", reason="empty_file", details=[{"field": "file", "message": "Empty"}])
    not_utf8 = CsvRejected("The file is not UTF-8 text; export it from Shopify again or save it as UTF-8 CSV",
                           reason="not_utf8", details=[{"field": "file", "message": "Not UTF-8"}])
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (Excel's "Unicode text")
        raise not_utf8
    if b"\x00" in raw:
        raise CsvRejected("The file is binary, not CSV", reason="not_csv",
                          details=[{"field": "file", "message": "Not a CSV file"}])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise not_utf8 from None
    header, rows = read_csv(text)
    if "Handle" not in header:
        raise CsvRejected("Not a Shopify product CSV: the header has no 'Handle' column",
                          reason="missing_handle_column",
                          details=[{"field": "file", "message": "Missing column: Handle"}])
    if not any(any(value.strip() for value in row.values() if isinstance(value, str)) for row in rows):
        raise CsvRejected("The CSV has a header but no product rows", reason="no_rows",
                          details=[{"field": "file", "message": "No rows"}])
    return text


def read_csv(text: str) -> tuple[list[str], list[dict]]:
    """Header (trimmed names) and rows as dicts; raises CsvRejected for malformed CSV."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=False)
        header = [name.strip() for name in next(reader, [])]
        rows = [dict(zip(header, values)) for values in reader]
    except csv.Error as exc:
        raise CsvRejected(f"The file is not valid CSV: {exc}", reason="not_csv",
                          details=[{"field": "file", "message": "Malformed CSV"}]) from None
    return header, rows


def count_handles(text: str) -> int:
    """How many distinct products (handles) a checked CSV holds."""
    _, rows = read_csv(text)
    return len({slugify((row.get("Handle") or "").strip(), 255) for row in rows} - {""})


# --------------------------------------------------------------------------- values

def money(raw: str, exponent: int) -> int | None:
    """`"29.99"` -> 2999 with exponent 2 (`"50"` -> 5000); "" -> None.

    Raises ValueError for anything else: not a number, negative, more decimals
    than the currency has, above MAX_PRICE minor units.
    """
    raw = raw.strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not a price") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{raw!r} is not a price")
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"{raw!r} has more than {exponent} decimals")
    if minor > MAX_PRICE:
        raise ValueError(f"{raw!r} is too large")
    return int(minor)


def integer(raw: str) -> int | None:
    """A whole-number cell (`"12"`, `"12.0"`) as an int; None when empty. Raises ValidationFailed."""
    raw = raw.strip()
    if not raw:
        return None
    amount = Decimal(raw)  # decimal.InvalidOperation (an ArithmeticError) for non-numbers
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise ValueError(f"{raw!r} is not a whole number")
    return int(amount)


def weight_grams(row: dict) -> int | None:
    """Variant weight in grams: `Variant Grams`, else `Variant Weight` in `Variant Weight Unit`."""
    grams = (row.get("Variant Grams") or "").strip()
    if grams:
        return int(Decimal(grams).to_integral_value())
    weight = (row.get("Variant Weight") or "").strip()
    if not weight:
        return None
    factor = GRAMS_PER_UNIT.get((row.get("Variant Weight Unit") or "g").strip().lower(), Decimal(1))
    return int((Decimal(weight) * factor).to_integral_value())


def flag(raw: str, default: bool) -> bool:
    """A TRUE/FALSE cell (`true`, `yes`, `1`, `y` are true); `default` when empty."""
    raw = (raw or "").strip().lower()
    return default if not raw else raw in ("true", "yes", "1", "y")


def tags(raw: str) -> list[str]:
    """A comma-separated Tags cell as a list of distinct, trimmed tags, in order."""
    tags = []
    for tag in (raw or "").split(","):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag[:100])
    return tags


# --------------------------------------------------------------------------- products
