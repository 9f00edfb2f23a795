"""Typed product attributes: validation per kind (types, limits, choices, unknown attributes),
normalisation, kind inference, the filter index rewritten on every write, and the list filters
(kind, featured, isNew, typed attributes with multi-values)."""

import pytest

from models.catalog import Product, ProductAttributeValue
from services import catalog
from services.catalog import product_attributes as typed
from services.errors import ValidationFailed


def _product(name, kind=None, **extra):
    data = {"name": name, "variants": [{"price": 1000, "inventory_count": 3}], **extra}
    if kind:
        data["kind"] = kind
    return catalog.create_product(data)


def _rows(product):
    return sorted((r.name, r.value) for r in ProductAttributeValue.select().where(
        ProductAttributeValue.product == product.id))


def _names(views):
    return sorted(v.product.name for v in views)


def _reject(kind, attributes, field, reason="invalid_attribute", top_level=frozenset()):
    with pytest.raises(ValidationFailed) as caught:
        typed.validate_attributes(kind, attributes, top_level)
    assert caught.value.reason == reason
    assert caught.value.details[0]["field"] == field


def test_each_kind_accepts_its_attributes_and_normalises_them():
    assert typed.validate_attributes("florist", {"occasion": ["Birthday", "get well", "birthday"],
                                                 "flowerType": "Rose", "colors": ["RED"]}) == {
        "occasion": ["birthday", "get-well"], "flowerType": "rose", "colors": ["red"]}
    cheese = typed.validate_attributes("cheese", {
        "weight": 250.0, "ingredients": [" milk ", "salt"], "milk": "cow", "origin": "Jura", "agedMonths": 18,
        "nutritionalInfo": {"calories": 410, "protein": 28.123456, "fat": 33, "carbohydrates": 0}, "isNew": True})
    assert cheese["weight"] == 250 and isinstance(cheese["weight"], int)
    assert cheese["ingredients"] == ["milk", "salt"] and cheese["nutritionalInfo"]["protein"] == 28.123
    skincare = typed.validate_attributes("skincare", {"skinTypes": ["dry"], "concerns": ["acne"],
                                                      "howToUse": "Apply", "ingredients": ["Retinol"]})
    assert skincare["skinTypes"] == ["dry"]
    general = typed.validate_attributes("general", {
        "specifications": [{"key": "Material", "value": "Oak"}],
        "sustainability": {"carbonFootprint": {"productionValue": 1.5, "shippingEstimate": 0.4,
                                               "packagingImpact": 0.1, "sustainabilityScore": 80},
                           "ecoMetrics": {"recyclableComponents": ["box"], "sustainableMaterials": ["FSC paper"],
                                          "carbonOffset": True}}})
    assert general["sustainability"]["carbonFootprint"]["sustainabilityScore"] == 80
    assert typed.validate_attributes("florist", {"isNew": None}) == {}  # null unsets


def test_another_kinds_attribute_or_an_unknown_one_is_rejected():
    _reject("general", {"occasion": ["birthday"]}, "attributes.occasion", "unknown_attribute")
    _reject("cheese", {"skinTypes": ["dry"]}, "skinTypes", "unknown_attribute", frozenset({"skinTypes"}))
    _reject("florist", {"colour": "red"}, "attributes.colour", "unknown_attribute")
    _reject("cheese", {"nutritionalInfo": {"sugar": 1}}, "attributes.nutritionalInfo.sugar", "unknown_attribute")
    with pytest.raises(ValidationFailed) as caught:
        typed.validate_attributes("furniture", {})
    assert caught.value.reason == "invalid_kind"


@pytest.mark.parametrize("kind, attributes, field", [
    ("cheese", {"nutritionalInfo": {"protein": "lots"}}, "attributes.nutritionalInfo.protein"),
    ("cheese", {"nutritionalInfo": {"protein": 101}}, "attributes.nutritionalInfo.protein"),
    ("cheese", {"nutritionalInfo": {"fat": True}}, "attributes.nutritionalInfo.fat"),
    ("cheese", {"nutritionalInfo": [1]}, "attributes.nutritionalInfo"),
    ("cheese", {"weight": 12.5}, "attributes.weight"),
    ("cheese", {"weight": 0}, "attributes.weight"),
    ("cheese", {"nutritionalInfo": {"fat": float("nan")}}, "attributes.nutritionalInfo.fat"),
    ("florist", {"occasion": ["birthday", "bar-mitzvah-party"]}, "attributes.occasion.1"),
    ("florist", {"occasion": "birthday"}, "attributes.occasion"),
    ("florist", {"flowerType": 3}, "attributes.flowerType"),
    ("skincare", {"howToUse": "  "}, "attributes.howToUse"),
    ("general", {"isNew": "yes"}, "attributes.isNew"),
    ("general", {"specifications": [{"key": "a"}]}, "attributes.specifications.0.value"),
    ("general", {"specifications": [{"key": "a", "value": "b", "extra": 1}]}, "attributes.specifications.0"),
    ("general", {"sustainability": {"carbonFootprint": {"sustainabilityScore": 101}}},
     "attributes.sustainability.carbonFootprint.sustainabilityScore"),
])
def test_wrong_types_ranges_and_choices_name_the_field(kind, attributes, field):
    _reject(kind, attributes, field)


def test_the_kind_is_inferred_from_attributes_that_need_one():
    assert typed.infer_kind({"skinTypes": ["dry"], "ingredients": ["x"]}) == "skincare"
    assert typed.infer_kind({"occasion": ["birthday"], "isNew": True}) == "florist"
    assert typed.infer_kind({"isNew": True}) == "general"
    assert typed.infer_kind({"ingredients": ["milk"]}) == "general"  # cheese or skincare: ambiguous


def test_writes_store_normalised_values_and_rewrite_the_index(db):
    product = _product("Roses", attributes={"occasion": ["Birthday", "wedding"], "colors": ["red"]})
    assert product.kind == "florist"
    assert _rows(product) == [("colors", "red"), ("occasion", "birthday"), ("occasion", "wedding")]
    catalog.update_product(product.id, {"attribute_updates": {"occasion": ["sympathy"], "isNew": True}})
    stored = Product.get_by_id(product.id)
    assert stored.attributes == {"occasion": ["sympathy"], "colors": ["red"], "isNew": True}
    assert _rows(product) == [("colors", "red"), ("isNew", "true"), ("occasion", "sympathy")]
    catalog.update_product(product.id, {"attributes": {"flowerType": "tulip"}})
    assert _rows(product) == [("flowerType", "tulip")]
    catalog.update_product(product.id, {"name": "Tulips"})  # other fields leave attributes alone
    assert _rows(product) == [("flowerType", "tulip")]


def test_a_rejected_write_changes_nothing(db):
    product = _product("Brie", "cheese", attributes={"weight": 250})
    with pytest.raises(ValidationFailed):
        catalog.update_product(product.id, {"name": "Renamed", "attribute_updates": {"weight": -1}})
    with pytest.raises(ValidationFailed) as caught:
        catalog.update_product(product.id, {"kind": "florist"})  # weight is no florist attribute
    assert caught.value.reason == "unknown_attribute"
    stored = Product.get_by_id(product.id)
    assert (stored.name, stored.kind, stored.attributes) == ("Brie", "cheese", {"weight": 250})
    with pytest.raises(ValidationFailed):
        _product("Bad", "general", attributes={"occasion": ["birthday"]})
    assert not Product.select().where(Product.name == "Bad").exists()


def test_list_filters_by_kind_featured_new_and_typed_attributes(db):
    _product("Birthday roses", attributes={"occasion": ["birthday"], "colors": ["red"], "isNew": True},
             is_featured=True)
    _product("Wedding lilies", attributes={"occasion": ["wedding"], "colors": ["white"]})
    _product("Birthday sunflowers", attributes={"occasion": ["birthday", "get-well"], "colors": ["yellow"]})
    _product("Comte", "cheese", attributes={"milk": "cow", "isNew": False})
    _product("Serum", attributes={"skinTypes": ["dry", "oily"], "concerns": ["acne"]})

    def names(**filters):
        return _names(catalog.list_products(**filters)[0])

    assert names(attributes={"occasion": ["birthday"]}) == ["Birthday roses", "Birthday sunflowers"]
    assert names(attributes={"occasion": ["wedding", "get-well"]}) == ["Birthday sunflowers", "Wedding lilies"]
    assert names(attributes={"occasion": ["birthday"], "colors": ["red", "white"]}) == ["Birthday roses"]
    assert names(attributes={"occasion": ["BIRTHDAY"], "colors": []}) == ["Birthday roses", "Birthday sunflowers"]
    assert names(kind="cheese") == ["Comte"]
    assert names(kind=["cheese", "skincare"]) == ["Comte", "Serum"]
    assert names(is_featured=True) == ["Birthday roses"]
    assert names(is_new=True) == ["Birthday roses"]
    assert "Birthday roses" not in names(is_new=False) and "Comte" in names(is_new=False)
    assert names(attributes={"skinTypes": ["oily"], "concerns": ["acne"]}) == ["Serum"]
    assert names(attributes={"skinTypes": ["normal"]}) == []
    query = catalog.filter_products(Product.select(), kind="florist", attributes={"colors": ["yellow"]})
    assert [p.name for p in query] == ["Birthday sunflowers"]


def test_the_demo_catalog_has_typed_products_of_each_kind(db):
    from services import demo

    demo.seed_demo_if_empty()
    kinds = {p.handle: p.kind for p in Product.select()}
    assert kinds["classic-red-roses-bouquet"] == "florist" and kinds["comte-aop-18-months"] == "cheese"
    assert kinds["skinior-vitamin-c-serum"] == "skincare"
    birthday = _names(catalog.list_products(attributes={"occasion": ["birthday"]}, limit=100)[0])
    assert birthday == ["Classic Red Roses Bouquet", "Sunflower Sunshine Bouquet"]
    comte = Product.get(Product.handle == "comte-aop-18-months")
    assert comte.attributes["weight"] == 250 and comte.attributes["nutritionalInfo"]["protein"] == 28
    assert catalog.featured_products(limit=100)[1] >= 3
    assert catalog.list_products(attributes={"skinTypes": ["sensitive"]})[1] == 3
    roses = Product.get(Product.handle == "classic-red-roses-bouquet")
    vase = next(c for c in roses.customizations if c["code"] == "vase")
    assert [c["code"] for c in roses.customizations] == ["card-message", "vase", "size", "delivery-date"]
    assert [choice["price"] for choice in vase["choices"]] == [1200, 1800]  # "12.00" USD in minor units
    orchid = Product.get(Product.handle == "phalaenopsis-orchid-ceramic-pot")
    assert [c["code"] for c in orchid.customizations] == ["card-message", "delivery-date"]


def test_0018_backfills_kind_and_index_rows_of_existing_products(db):
    import importlib

    from models.db import database

    migration = importlib.import_module("models.migrations.0018_product_attributes")
    legacy = _product("Legacy roses")
    plain = _product("Legacy plain", attributes={"isNew": True})
    Product.update(attributes={"occasion": ["Birthday"], "colors": ["red"]}).where(
        Product.id == legacy.id).execute()
    ProductAttributeValue.delete().execute()
    migration.migrate(database, None)
    assert Product.get_by_id(legacy.id).kind == "florist" and Product.get_by_id(plain.id).kind == "general"
    assert _rows(legacy) == [("colors", "red"), ("occasion", "birthday")]
    assert _rows(plain) == [("isNew", "true")]
    migration.migrate(database, None)  # a second run changes nothing
    assert _rows(legacy) == [("colors", "red"), ("occasion", "birthday")]
