"""Shopify product CSVs: parsing Shopify's own sample exports, rejecting bad uploads,
and the import job's report and idempotency."""

from pathlib import Path

import pytest

from models.catalog import InventoryLevel, Product, ProductImage, Store, Variant
from services import catalog
from services.catalog import imports, shopify, shopify_csv
from services.errors import ValidationFailed
from services.platform import jobs

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "shopify"
HEADER = ("Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,"
          "Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,"
          "Image Src,Image Position\n")


def sample(name: str) -> str:
    return shopify_csv.decode_upload((SAMPLES / name).read_bytes())


def parse(text: str, exponent: int = 2):
    products, orphans = shopify.parse_products(text, exponent)
    return {p.handle: p for p in products}, orphans


class RecordingContext:
    """Stands in for JobContext: records progress calls."""

    def __init__(self):
        self.calls = []

    def progress(self, completed=None, total=None, message=None):
        self.calls.append((completed, total, message))


def run_import(text: str, store_id=None) -> dict:
    job = jobs.create_job("product_import", imports.import_payload(text, "test.csv", store_id))
    return imports.run_import_job(job, RecordingContext())


@pytest.mark.parametrize("name, products, variants, images", [
    ("apparel.csv", 20, 22, 20),
    ("home-and-garden.csv", 20, 21, 21),
    ("jewelery.csv", 20, 23, 41),
])
def test_parse_products_reads_every_product_of_the_real_samples(name, products, variants, images):
    parsed, orphans = parse(sample(name))
    assert orphans == []
    assert all(p.valid for p in parsed.values())
    assert len(parsed) == products
    assert sum(len(p.data["variants"]) for p in parsed.values()) == variants
    assert sum(len(p.data["images"]) for p in parsed.values()) == images


def test_parse_products_turns_decimal_prices_into_minor_units():
    parsed, _ = parse(sample("apparel.csv"))
    assert parsed["ocean-blue-shirt"].data["variants"][0]["price"] == 5000  # "50"
    garden, _ = parse(sample("home-and-garden.csv"))
    copper = garden["copper-light"].data["variants"][0]
    assert (copper["price"], copper["compare_at_price"]) == (5999, 7500)  # "59.99", "75"


def test_money_uses_the_currency_exponent_and_refuses_extra_decimals():
    assert shopify_csv.money("9.99", 2) == 999
    assert shopify_csv.money("9.999", 3) == 9999
    assert shopify_csv.money("1200", 0) == 1200
    assert shopify_csv.money("", 2) is None
    for bad in ("9.999", "abc", "-1", "NaN", "1e12"):
        with pytest.raises(ValueError):
            shopify_csv.money(bad, 2)


def test_parse_products_groups_variant_rows_under_the_first_rows_options():
    parsed, _ = parse(sample("apparel.csv"))
    varsity = parsed["classic-varsity-top"].data
    assert varsity["name"] == "Classic Varsity Top"
    assert [v["options"] for v in varsity["variants"]] == [
        [{"name": "Size", "value": "Small"}], [{"name": "Size", "value": "Medium"}],
        [{"name": "Size", "value": "Large"}]]
    assert parsed["ocean-blue-shirt"].data["variants"][0]["options"] == []  # "Title / Default Title"


def test_parse_products_keeps_multi_line_html_bodies_whole():
    parsed, _ = parse(sample("jewelery.csv"))
    body = parsed["choker-with-gold-pendant"].data["description"]
    assert "<ul>\n<li>14k yellow gold</li>" in body and body.endswith("</ul>")


def test_parse_products_collects_extra_image_rows_in_position_order():
    parsed, _ = parse(sample("jewelery.csv"))
    images = parsed["origami-crane-necklace"].data["images"]
    assert [i["sort_order"] for i in images] == [1, 2, 3, 4]
    assert images[0]["url"] == "https://burst.shopifycdn.com/photos/origami-crane-necklace-gold_925x.jpg"
    assert images[1]["url"] == "https://burst.shopifycdn.com/photos/silver-origami-necklace_925x.jpg"
    gemstone = parsed["gemstone"].data
    assert len(gemstone["variants"]) == 2 and len(gemstone["images"]) == 4


def test_parse_products_reads_tags_type_vendor_and_weight():
    parsed, _ = parse(sample("jewelery.csv"))
    boho = parsed["boho-earrings"].data
    assert boho["tags"] == ["Silver", "Turquoise"]
    assert (boho["vendor"], boho["product_type"], boho["category"]) == ("Company 123", "Earrings", "earrings")
    assert boho["variants"][0]["weight_grams"] == 28  # Variant Grams is grams whatever the display unit


def test_weight_grams_converts_variant_weight_when_grams_are_absent():
    assert shopify_csv.weight_grams({"Variant Weight": "1.5", "Variant Weight Unit": "kg"}) == 1500
    assert shopify_csv.weight_grams({"Variant Weight": "2", "Variant Weight Unit": "lb"}) == 907
    assert shopify_csv.weight_grams({}) is None


def test_parse_products_reports_bad_rows_with_reasons():
    text = HEADER + (
        "good,Good,,V,,,true,Title,Default Title,G-1,0,5,10.00,,,\n"
        "no-title,,,V,,,true,Title,Default Title,N-1,0,5,10.00,,,\n"
        "bad-price,Bad,,V,,,true,Title,Default Title,B-1,0,5,ten,,,\n"
        "dup,Dup,,V,,,true,Title,Default Title,G-1,0,5,10.00,,,\n"
        ",Orphan,,V,,,true,Title,Default Title,O-1,0,5,10.00,,,\n")
    parsed, orphans = parse(text)
    assert parsed["good"].valid
    assert [(i.reason, i.row) for i in parsed["no-title"].issues] == [("missing_title", 3)]
    assert [(i.reason, i.row) for i in parsed["bad-price"].issues] == [("invalid_price", 4)]
    assert [i.reason for i in parsed["dup"].issues] == ["duplicate_sku"]
    assert [(o.reason, o.row) for o in orphans] == [("missing_handle", 6)]


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty_file"),
    (b"   \n", "empty_file"),
    ("Handle,Title\nx,Café\n".encode("latin-1"), "not_utf8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_csv"),
    (b"Name,Price\nShirt,10\n", "missing_handle_column"),
    (b"Handle,Title\n", "no_rows"),
])
def test_decode_upload_rejects_files_that_are_not_product_csvs(raw, reason):
    with pytest.raises(ValidationFailed) as err:
        shopify_csv.decode_upload(raw)
    assert err.value.reason == reason and err.value.status == 422


def test_decode_upload_rejects_files_over_five_megabytes():
    with pytest.raises(shopify_csv.CsvTooLarge) as err:
        shopify_csv.decode_upload(b"Handle\n" + b"x" * shopify_csv.MAX_UPLOAD_BYTES)
    assert err.value.status == 413


def test_decode_upload_drops_a_utf8_byte_order_mark():
    assert shopify_csv.decode_upload("\ufeffHandle,Title\nx,Y\n".encode()).startswith("Handle")


def test_import_creates_products_variants_images_and_stock(db):
    report = run_import(sample("home-and-garden.csv"))
    assert len(report["created"]) == 20 and report["updated"] == [] and report["failed"] == []
    assert report["rows"] == 21 and report["successful"] == report["created"]
    pot = Product.get(Product.handle == "clay-plant-pot")
    assert (pot.price, pot.compare_at_price) == (999, None)  # mirrors the cheapest variant
    variants = list(Variant.select().where(Variant.product == pot).order_by(Variant.position))
    assert [(v.name, v.price) for v in variants] == [("Regular", 999), ("Large", 1599)]
    assert InventoryLevel.get(InventoryLevel.variant == variants[1]).quantity == 3
    assert ProductImage.select().where(ProductImage.product == pot).count() == 2


def test_import_is_idempotent_and_reports_updates_the_second_time(db):
    text = sample("jewelery.csv")
    first = run_import(text)
    counts = (Product.select().count(), Variant.select().count(), ProductImage.select().count())
    variant_ids = {v.id for v in Variant.select()}
    second = run_import(text)
    assert second["created"] == [] and sorted(second["updated"]) == sorted(first["created"])
    assert (Product.select().count(), Variant.select().count(), ProductImage.select().count()) == counts
    assert {v.id for v in Variant.select()} == variant_ids


def test_import_updates_changed_prices_and_removes_dropped_variants(db):
    run_import(sample("home-and-garden.csv"))
    changed = HEADER + "clay-plant-pot,Clay Plant Pot,,Company 123,Outdoor,,true,Size,Regular,,0,7,12.50,,,\n"
    report = run_import(changed)
    assert report["updated"] == ["clay-plant-pot"]
    pot = Product.get(Product.handle == "clay-plant-pot")
    variants = list(Variant.select().where(Variant.product == pot))
    assert [(v.name, v.price) for v in variants] == [("Regular", 1250)] and pot.price == 1250


def test_import_skips_a_product_whose_sku_belongs_to_another_product(db):
    catalog.create_product({"name": "Existing", "variants": [{"sku": "TAKEN-1", "price": 100}]})
    text = HEADER + "newcomer,Newcomer,,V,,,true,Title,Default Title,TAKEN-1,0,1,5.00,,,\n"
    report = run_import(text)
    assert report["failed"] == [{"id": "newcomer", "reason": "duplicate_sku"}]
    assert report["skipped"][0]["handle"] == "newcomer" and report["skipped"][0]["row"] == 2
    assert not Product.select().where(Product.handle == "newcomer").exists()


def test_import_reports_progress_per_product(db):
    job = jobs.create_job("product_import", imports.import_payload(sample("apparel.csv"), "a.csv", None))
    ctx = RecordingContext()
    imports.run_import_job(job, ctx)
    assert ctx.calls[0][:2] == (0, 20) and ctx.calls[-1][:2] == (20, 20) and len(ctx.calls) == 21
    assert ctx.calls[1][2] == "ocean-blue-shirt: created"


def test_import_puts_products_in_the_given_store(db):
    store = Store.create(name="Demo", slug="demo")
    run_import(sample("apparel.csv"), store_id=store.id)
    assert Product.select().where(Product.store == store).count() == 20
