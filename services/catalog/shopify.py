"""Shopify's product CSV format: parsing the rows of an upload into products (the file and its
cells are read by `shopify_csv`).

One product spans several rows sharing a `Handle`: the first carries the
product fields (Title, Body (HTML), Vendor, Type, Tags, Published, option
names, SEO), each further row is a variant (it has an option value, SKU or
price) or only an extra image (`Image Src`, `Image Position`, `Image Alt
Text`). Prices are decimal strings in major units ("9.99") and become integer
minor units with `Decimal` (never floats), using the currency's ISO 4217
exponent. `Variant Grams` is always grams (`Variant Weight Unit` is only the
unit the merchant sees); newer exports without it give `Variant Weight` in
that unit. Format reference: https://help.shopify.com/en/manual/products/import-export/using-csv

Nothing here touches the database: `services.catalog.imports` writes what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.catalog.shopify_csv import flag, integer, money, read_csv, tags, weight_grams
from services.catalog.slugs import slugify

MAX_VARIANTS = 100  # Shopify's own limit per product
DEFAULT_OPTION = ("Title", "Default Title")
VARIANT_COLUMNS = ("Option1 Value", "Option2 Value", "Option3 Value", "Variant SKU", "Variant Price")


@dataclass
class RowIssue:
    """Why a CSV row (1-based, the header is row 1) could not be imported; `reason` is snake_case."""

    handle: str
    row: int
    reason: str
    message: str

    def to_dict(self) -> dict:
        return {"handle": self.handle, "row": self.row, "reason": self.reason, "message": self.message}


@dataclass
class ParsedProduct:
    """One product from the CSV, in `services.catalog`'s write shape (`data`), with its rows and issues."""

    handle: str
    row: int
    data: dict = field(default_factory=dict)
    issues: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.issues


# --------------------------------------------------------------------------- the upload

def _product_fields(row: dict, handle: str, store_id: str | None) -> dict:
    status = (row.get("Status") or "").strip().lower()
    if status not in ("active", "draft", "archived"):
        status = "active" if flag(row.get("Published", ""), True) else "draft"
    product_type = (row.get("Type") or "").strip()
    return {
        "handle": handle, "name": row["Title"].strip()[:255], "description": row.get("Body (HTML)") or "",
        "vendor": (row.get("Vendor") or "").strip()[:255], "product_type": product_type[:255],
        "category": slugify(product_type) or None, "tags": tags(row.get("Tags", "")), "status": status,
        "seo_title": (row.get("SEO Title") or "").strip()[:255],
        "seo_description": (row.get("SEO Description") or "").strip(),
        "store_id": store_id, "variants": [], "images": [],
    }


def _option_names(row: dict) -> list[str]:
    names = []
    for n in (1, 2, 3):
        name = (row.get(f"Option{n} Name") or "").strip()
        if name:
            names.append(name)
    return [] if names == [DEFAULT_OPTION[0]] else names


def _variant(row: dict, names: list[str], exponent: int) -> dict:
    """The variant on `row`; raises ValueError("reason: message") for a bad value."""
    values = [(row.get(f"Option{n} Value") or "").strip() for n in range(1, len(names) + 1)]
    if names and not all(values):
        raise ValueError("missing_option_value: every option needs a value")
    try:
        price = money(row.get("Variant Price") or "", exponent)
    except ValueError as exc:
        raise ValueError(f"invalid_price: {exc}") from None
    if price is None:
        raise ValueError("invalid_price: Variant Price is empty")
    try:
        compare_at = money(row.get("Variant Compare At Price") or "", exponent)
    except ValueError as exc:
        raise ValueError(f"invalid_compare_at_price: {exc}") from None
    try:
        quantity = integer(row.get("Variant Inventory Qty") or "")
    except (ValueError, ArithmeticError):
        raise ValueError("invalid_inventory: Variant Inventory Qty is not a whole number") from None
    try:
        grams = weight_grams(row)
    except (ValueError, ArithmeticError):
        raise ValueError("invalid_weight: the variant weight is not a number") from None
    sku = (row.get("Variant SKU") or "").strip()[:100] or None
    return {"sku": sku, "price": price, "compare_at_price": compare_at,
            "inventory_count": max(quantity or 0, 0), "weight_grams": grams,
            "requires_shipping": flag(row.get("Variant Requires Shipping", ""), True),
            "options": [{"name": n, "value": v} for n, v in zip(names, values)]}


def _add_image(images: list, url: str, position: str, alt: str) -> None:
    url = url.strip()
    if not url or any(img["url"] == url for img in images):
        return
    try:
        order = int(position) if position.strip() else None
    except ValueError:
        order = None
    images.append({"url": url[:1000], "alt_text": (alt or "").strip()[:500], "sort_order": order})


def _finish_images(images: list) -> list:
    """Sort by `Image Position` (rows without one keep file order, after) and renumber 1..n."""
    ordered = sorted(enumerate(images), key=lambda p: (p[1]["sort_order"] is None, p[1]["sort_order"] or 0, p[0]))
    return [dict(img, sort_order=n) for n, (_, img) in enumerate(ordered, start=1)]


def parse_products(text: str, exponent: int, store_id: str | None = None) -> tuple[list[ParsedProduct], list[RowIssue]]:
    """Group a checked CSV's rows into products, in the file's order.

    Returns `(products, orphan_issues)`: each ParsedProduct has `data` ready
    for `catalog.upsert_product` and its own row issues (a product with any
    issue is not imported, so it is never half-written); orphan issues are
    rows without a handle. Prices are minor units for `exponent`. Reasons:
    missing_handle, missing_title, invalid_price, invalid_compare_at_price,
    invalid_inventory, invalid_weight, missing_option_value, duplicate_sku
    (also across products in the file), duplicate_variant, too_many_variants,
    no_variants.
    """
    _, rows = read_csv(text)
    products: dict[str, ParsedProduct] = {}
    orphans: list[RowIssue] = []
    skus: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        raw_handle = (row.get("Handle") or "").strip()
        handle = slugify(raw_handle, 255)
        if not handle:
            orphans.append(RowIssue(raw_handle, number, "missing_handle", "The row has no Handle"))
            continue
        product = products.get(handle)
        if product is None:
            product = products[handle] = ParsedProduct(handle, number)
            if not (row.get("Title") or "").strip():
                product.issues.append(RowIssue(handle, number, "missing_title",
                                               "The first row of a product needs a Title"))
                continue
            product.data = _product_fields(row, handle, store_id)
            product.data["option_names"] = _option_names(row)
        if not product.data:
            continue
        _parse_row(product, row, number, exponent, skus)
    parsed = [_finish(p) for p in products.values()]
    return parsed, orphans


def _parse_row(product: ParsedProduct, row: dict, number: int, exponent: int, skus: dict) -> None:
    data = product.data
    _add_image(data["images"], row.get("Image Src") or "", row.get("Image Position") or "",
               row.get("Image Alt Text") or "")
    if not any((row.get(column) or "").strip() for column in VARIANT_COLUMNS):
        return  # an image-only row
    try:
        variant = _variant(row, data["option_names"], exponent)
    except ValueError as exc:
        reason, _, message = str(exc).partition(": ")
        product.issues.append(RowIssue(product.handle, number, reason, message))
        return
    sku = variant["sku"]
    if sku and (skus.setdefault(sku, product.handle) != product.handle
                or any(v["sku"] == sku for v in data["variants"])):
        product.issues.append(RowIssue(product.handle, number, "duplicate_sku", f"SKU {sku!r} appears twice"))
        return
    key = tuple(o["value"] for o in variant["options"])
    if any(tuple(o["value"] for o in v["options"]) == key for v in data["variants"]):
        product.issues.append(RowIssue(product.handle, number, "duplicate_variant",
                                       f"Two variants have the options {list(key)}"))
        return
    if len(data["variants"]) >= MAX_VARIANTS:
        product.issues.append(RowIssue(product.handle, number, "too_many_variants",
                                       f"A product has at most {MAX_VARIANTS} variants"))
        return
    _add_image(data["images"], row.get("Variant Image") or "", "", "")
    data["variants"].append(variant)


def _finish(product: ParsedProduct) -> ParsedProduct:
    data = product.data
    if not data:
        return product
    data.pop("option_names", None)
    if not data["variants"] and product.valid:
        product.issues.append(RowIssue(product.handle, product.row, "no_variants",
                                       "The product has no variant row with a price"))
    data["images"] = _finish_images(data["images"])
    return product
