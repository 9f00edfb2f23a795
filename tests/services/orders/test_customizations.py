"""Product customizations (seed 001) and wholesale prices (seed 000) in the services: definitions
are checked, a chosen set is checked and priced, a cart line is one variant and one chosen set,
and the line's unit price is the variant's (or its wholesale) price plus the set's prices."""

from __future__ import annotations

import datetime as dt

import pytest

from models.carts import CartItem
from models.db import database, init_database, utcnow
from models.migrate import apply_migrations, migration_names
from models.users import User
from services import catalog, orders
from services.catalog import customizations as rules
from services.errors import ValidationFailed
from tests.factories import first_variant, make_product

FLORIST = [
    {"code": "card_message", "label": "Card message", "type": "text", "maxLength": 200, "price": 0},
    {"code": "vase", "label": "Vase", "type": "choice",
     "choices": [{"value": "glass", "label": "Glass vase", "price": 1500},
                 {"value": "ceramic", "label": "Ceramic vase", "price": 2500}]},
    {"code": "size_upgrade", "label": "Deluxe size", "type": "boolean", "price": 1000},
    {"code": "delivery_date", "label": "Delivery date", "type": "date", "required": True,
     "minLeadDays": 1, "maxAheadDays": 90},
]
TODAY = dt.date(2026, 3, 1)


def definitions():
    return rules.normalise_customizations(FLORIST)


def florist_product(stock=10, price=4500, **fields):
    product = make_product(name="Spring Bouquet", price=price, stock=stock, **fields)
    product.customizations = definitions()
    product.save()
    return product


def tomorrow() -> str:
    return (utcnow().date() + dt.timedelta(days=1)).isoformat()


def problems(exc) -> dict:
    return {d["field"]: d["message"] for d in exc.value.details}


# --------------------------------------------------------------------------- definitions

def test_definitions_are_stored_in_one_shape_with_defaults():
    stored = rules.normalise_customizations([{"code": "note", "label": "Note", "type": "text"},
                                             {"code": "when", "label": " When ", "type": "date",
                                              "min_lead_days": 2}])
    assert stored[0] == {"code": "note", "label": "Note", "type": "text", "required": False, "price": 0,
                         "maxLength": rules.DEFAULT_TEXT_LENGTH, "choices": [], "minLeadDays": None,
                         "maxAheadDays": None}
    assert (stored[1]["label"], stored[1]["minLeadDays"], stored[1]["maxAheadDays"]) == ("When", 2, 365)


@pytest.mark.parametrize("bad, reason, field", [
    ([{"code": "vase", "label": "A", "type": "text"}, {"code": "vase", "label": "B", "type": "boolean"}],
     "duplicate_customization_code", "customizations.1.code"),
    ([{"code": "vase", "label": "Vase", "type": "choice", "choices": []}], "invalid_customization",
     "customizations.0.choices"),
    ([{"code": "vase", "label": "Vase", "type": "choice", "price": 100,
       "choices": [{"value": "a", "label": "A", "price": 1}]}], "invalid_customization", "customizations.0.price"),
    ([{"code": "vase", "label": "Vase", "type": "choice",
       "choices": [{"value": "a", "label": "A"}, {"value": "a", "label": "B"}]}],
     "duplicate_customization_choice", "customizations.0.choices.1.value"),
    ([{"code": "msg", "label": "Msg", "type": "boolean", "maxLength": 5}], "invalid_customization",
     "customizations.0.maxLength"),
    ([{"code": "msg", "label": "Msg", "type": "text", "maxLength": 0}], "invalid_customization",
     "customizations.0.maxLength"),
    ([{"code": "day", "label": "Day", "type": "date", "minLeadDays": 5, "maxAheadDays": 2}],
     "invalid_customization", "customizations.0.maxAheadDays"),
    ([{"code": "Bad Code", "label": "X", "type": "text"}], "invalid_customization", "customizations.0.code"),
    ([{"code": "x", "label": "X", "type": "colour"}], "invalid_customization", "customizations.0.type"),
    ([{"code": "x", "label": "X", "type": "text", "price": -1}], "invalid_customization", "customizations.0.price"),
    ([{"code": "x", "label": "X", "type": "text", "colour": "red"}], "invalid_customization", "customizations.0"),
])
def test_bad_definitions_are_refused_with_their_field(bad, reason, field):
    with pytest.raises(ValidationFailed) as caught:
        rules.normalise_customizations(bad)
    assert caught.value.reason == reason and caught.value.status == 422
    assert field in problems(caught)


def test_a_product_write_checks_and_stores_its_customizations(db):
    product = catalog.create_product({"name": "Roses", "variants": [{"price": 3000}], "customizations": FLORIST})
    assert [c["code"] for c in product.customizations] == ["card_message", "vase", "size_upgrade", "delivery_date"]
    with pytest.raises(ValidationFailed):
        catalog.update_product(product.id, {"customizations": [{"code": "x", "label": "X", "type": "choice"}]})
    assert len(catalog.get_product(product.id).customizations) == 4  # nothing written
    assert catalog.update_product(product.id, {"customizations": []}).customizations == []


# --------------------------------------------------------------------------- chosen sets

def test_a_chosen_set_is_priced_in_definition_order():
    chosen = [{"code": "delivery_date", "value": "2026-03-02"}, {"code": "vase", "value": "glass"},
              {"code": "card_message", "value": "  Happy birthday!  "}, {"code": "size_upgrade", "value": True}]
    priced = rules.choose_customizations(definitions(), chosen, today=TODAY)
    assert priced == [
        {"code": "card_message", "label": "Card message", "value": "Happy birthday!", "price": 0},
        {"code": "vase", "label": "Vase", "value": "glass", "price": 1500},
        {"code": "size_upgrade", "label": "Deluxe size", "value": True, "price": 1000},
        {"code": "delivery_date", "label": "Delivery date", "value": "2026-03-02", "price": 0},
    ]
    assert rules.customizations_price(priced) == 2500


def test_a_false_boolean_is_the_same_as_no_choice():
    base = [{"code": "delivery_date", "value": "2026-03-05"}]
    without = rules.choose_customizations(definitions(), base, today=TODAY)
    with_false = rules.choose_customizations(definitions(), base + [{"code": "size_upgrade", "value": False}],
                                             today=TODAY)
    assert without == with_false
    assert rules.customization_key(without) == rules.customization_key(with_false) != ""
    assert rules.customization_key([]) == ""


@pytest.mark.parametrize("chosen, reason, field", [
    ([{"code": "ribbon", "value": "red"}], "unknown_customization", "customizations.0.code"),
    ([], "customization_required", "customizations.delivery_date"),
    ([{"code": "vase", "value": "crystal"}], "customization_choice_unavailable", "customizations.vase"),
    ([{"code": "card_message", "value": "x" * 201}], "customization_too_long", "customizations.card_message"),
    ([{"code": "card_message", "value": "   "}], "customization_empty", "customizations.card_message"),
    ([{"code": "delivery_date", "value": "2026-03-01"}], "customization_date_out_of_window",
     "customizations.delivery_date"),
    ([{"code": "delivery_date", "value": "2026-05-31"}], "customization_date_out_of_window",
     "customizations.delivery_date"),
    ([{"code": "delivery_date", "value": "2026-02-30"}], "invalid_customization_value",
     "customizations.delivery_date"),
    ([{"code": "size_upgrade", "value": "yes"}], "invalid_customization_value", "customizations.size_upgrade"),
    ([{"code": "vase", "value": "glass"}, {"code": "vase", "value": "ceramic"}], "duplicate_customization",
     "customizations.1.code"),
])
def test_bad_chosen_sets_are_refused_with_their_field(chosen, reason, field):
    if reason != "customization_required":
        chosen = chosen + [{"code": "delivery_date", "value": "2026-03-03"}] \
            if all(c["code"] != "delivery_date" for c in chosen) else chosen
    with pytest.raises(ValidationFailed) as caught:
        rules.choose_customizations(definitions(), chosen, today=TODAY)
    assert caught.value.reason == reason, caught.value.details
    assert field in problems(caught)


def test_the_date_window_ends_are_inclusive():
    for day in ("2026-03-02", "2026-05-30"):
        assert rules.choose_customizations(definitions(), [{"code": "delivery_date", "value": day}], today=TODAY)


def test_a_required_boolean_must_be_true():
    required = rules.normalise_customizations([{"code": "fragile_ok", "label": "I accept", "type": "boolean",
                                                "required": True}])
    with pytest.raises(ValidationFailed) as caught:
        rules.choose_customizations(required, [{"code": "fragile_ok", "value": False}])
    assert caught.value.reason == "customization_required"
    assert rules.choose_customizations(required, [{"code": "fragile_ok", "value": True}])[0]["value"] is True


# --------------------------------------------------------------------------- cart lines

def test_the_same_variant_with_other_customizations_is_another_line(db):
    product = florist_product()
    cart = orders.create_cart(None)
    glass = [{"code": "vase", "value": "glass"}, {"code": "delivery_date", "value": tomorrow()}]
    plain = [{"code": "delivery_date", "value": tomorrow()}]
    orders.add_to_cart(cart, product.id, None, 1, glass)
    orders.add_to_cart(cart, product.id, None, 2, plain)
    orders.add_to_cart(cart, product.id, None, 1, list(reversed(glass)))  # same set, other order: same line
    view = orders.cart_view(cart)
    lines = {tuple(c["code"] for c in item["customizations"]): item for item in view["items"]}
    assert lines[("vase", "delivery_date")]["quantity"] == 2
    assert lines[("vase", "delivery_date")]["unitPrice"] == 4500 + 1500
    assert lines[("delivery_date",)]["quantity"] == 2 and lines[("delivery_date",)]["unitPrice"] == 4500
    assert view["subtotal"] == 2 * 6000 + 2 * 4500 and view["itemCount"] == 4


def test_an_invalid_set_writes_nothing(db):
    product = florist_product()
    cart = orders.create_cart(None)
    with pytest.raises(ValidationFailed) as caught:
        orders.add_to_cart(cart, product.id, None, 1, [{"code": "vase", "value": "glass"}])
    assert caught.value.reason == "customization_required"
    assert CartItem.select().where(CartItem.cart == cart.id).count() == 0


def test_stock_counts_every_line_of_the_variant(db):
    from services.errors import InsufficientStock

    product = florist_product(stock=3)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 2, [{"code": "delivery_date", "value": tomorrow()}])
    with pytest.raises(InsufficientStock):
        orders.add_to_cart(cart, product.id, None, 2, [{"code": "vase", "value": "glass"},
                                                       {"code": "delivery_date", "value": tomorrow()}])
    orders.add_to_cart(cart, product.id, None, 1, [{"code": "vase", "value": "glass"},
                                                   {"code": "delivery_date", "value": tomorrow()}])
    line = CartItem.get(CartItem.cart == cart.id, CartItem.quantity == 1)  # the vase line (both have a key)
    with pytest.raises(InsufficientStock):
        orders.update_cart_item(cart, line.id, 2)


def test_a_quantity_update_keeps_the_customizations(db):
    product = florist_product()
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1, [{"code": "vase", "value": "ceramic"},
                                                   {"code": "delivery_date", "value": tomorrow()}])
    line = CartItem.get(CartItem.cart == cart.id)
    orders.update_cart_item(cart, line.id, 3)
    item = orders.cart_view(cart)["items"][0]
    assert item["quantity"] == 3 and item["unitPrice"] == 4500 + 2500 and item["totalPrice"] == 3 * 7000
    assert [c["value"] for c in item["customizations"]] == ["ceramic", tomorrow()]


def test_a_removed_option_is_reported_and_keeps_the_price_it_was_added_with(db):
    product = florist_product()
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1, [{"code": "vase", "value": "glass"},
                                                   {"code": "delivery_date", "value": tomorrow()}])
    product.customizations = [d for d in definitions() if d["code"] != "vase"]
    product.save()
    [line] = orders.load_lines(cart.id)
    assert line.unit_price == 4500 + 1500
    assert orders.customization_problems([line])[0]["field"] == f"items.{line.item.id}.customizations.0.code"


def test_wholesale_customers_pay_the_wholesale_price_and_others_do_not(db):
    product = make_product(price=2000, stock=10)
    variant = first_variant(product)
    variant.wholesale_price = 1400
    variant.save()
    wholesale = User.create(email="trade@example.com", password_hash="!", customer_group="wholesale")
    retail = User.create(email="shopper@example.com", password_hash="!")
    totals = {}
    for who, user in (("wholesale", wholesale), ("retail", retail), ("guest", None)):
        cart = orders.create_cart(user)
        orders.add_to_cart(cart, product.id, None, 2)
        totals[who] = orders.cart_view(cart)["subtotal"]
    assert totals == {"wholesale": 2800, "retail": 4000, "guest": 4000}


def test_a_wholesale_customer_pays_the_normal_price_without_a_wholesale_price(db):
    product = make_product(price=2000, stock=10)
    cart = orders.create_cart(User.create(email="trade2@example.com", password_hash="!", customer_group="wholesale"))
    orders.add_to_cart(cart, product.id, None, 1)
    assert orders.cart_view(cart)["items"][0]["unitPrice"] == 2000


def test_pricing_unit_price():
    assert orders.unit_price(2000, 1500, True, 300) == 1800
    assert orders.unit_price(2000, 1500, False, 300) == 2300
    assert orders.unit_price(2000, None, True) == 2000


def test_product_pricing_follows_seed_000():
    class V:
        def __init__(self, wholesale_price):
            self.wholesale_price = wholesale_price

    assert catalog.product_pricing(2000, 2500, [V(None), V(1500), V(1200)]) == \
        {"base": 2500, "discounted": 2000, "wholesale": 1200}
    assert catalog.product_pricing(2000, None, [V(None)]) == {"base": 2000, "discounted": None, "wholesale": None}


# --------------------------------------------------------------------------- migration

def test_0019_upgrades_carts_to_one_line_per_variant_and_customizations(tmp_path):
    """A database at 0018 with the old cart_item unique index and without the new columns gets
    them; its lines keep their rows and a second line of a variant becomes possible."""
    init_database(f"sqlite:///{tmp_path / 'carts.db'}")
    with database.connection_context():
        apply_migrations(target="0018_product_attributes")
        # 0001 creates today's tables: their unique line index is 0031's (with weight_grams)
        database.execute_sql("DROP INDEX cart_item_cart_id_variant_id_customization_key_weight_grams")
        for table, column in (("cart_item", "customizations"), ("cart_item", "customization_key"),
                              ("order_item", "customizations"), ("product", "customizations"),
                              ("variant", "wholesale_price"), ('"user"', "customer_group")):
            database.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        database.execute_sql("CREATE UNIQUE INDEX cart_item_cart_id_variant_id ON cart_item (cart_id, variant_id)")
        database.execute_sql("INSERT INTO cart (id, currency, status, created_at, updated_at, expires_at) "
                             "VALUES ('cart_1', 'USD', 'active', '2026-01-01', '2026-01-01', '2030-01-01')")
        database.execute_sql("INSERT INTO product (id, handle, name, description, vendor, product_type, tags, "
                             "status, price, currency, seo_title, seo_description, attributes, options, kind, "
                             "is_featured, created_at, updated_at) VALUES ('prod_1', 'p', 'P', '', '', '', '[]', "
                             "'active', 100, 'USD', '', '', '{}', '[]', 'general', 0, '2026-01-01', '2026-01-01')")
        database.execute_sql("INSERT INTO variant (id, product_id, name, price, option_values, low_stock_threshold, "
                             "position, requires_shipping, created_at, updated_at) VALUES ('var_1', 'prod_1', 'D', "
                             "100, '[]', 10, 1, 1, '2026-01-01', '2026-01-01')")
        database.execute_sql("INSERT INTO cart_item (id, cart_id, product_id, variant_id, quantity, unit_price, "
                             "created_at, updated_at) VALUES ('item_1', 'cart_1', 'prod_1', 'var_1', 2, 100, "
                             "'2026-01-01', '2026-01-01')")
        database.execute_sql('INSERT INTO "user" (id, email, password_hash, first_name, last_name, role, is_active, '
                             "is_verified, created_at, updated_at) VALUES ('usr_1', 'a@example.com', '!', '', '', "
                             "'customer', 1, 0, '2026-01-01', '2026-01-01')")
        names = migration_names()
        applied = apply_migrations(target="0030_payment_status_length")
        assert applied == names[names.index("0018_product_attributes") + 1:names.index("0030_payment_status_length") + 1]
        row = database.execute_sql("SELECT customizations, customization_key FROM cart_item").fetchone()
        assert row == ("[]", "")
        indexes = [r[1] for r in database.execute_sql("PRAGMA index_list('cart_item')").fetchall()]
        assert "cart_item_cart_id_variant_id_customization_key" in indexes
        assert "cart_item_cart_id_variant_id" not in indexes
        database.execute_sql("INSERT INTO cart_item (id, cart_id, product_id, variant_id, quantity, unit_price, "
                             "customization_key, created_at, updated_at) VALUES ('item_2', 'cart_1', 'prod_1', "
                             "'var_1', 1, 100, 'abc', '2026-01-01', '2026-01-01')")
        assert database.execute_sql('SELECT customer_group FROM "user"').fetchall() == [("retail",)]
        assert database.execute_sql("SELECT count(*) FROM variant").fetchone()[0] == 1  # no rebuild cascaded
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
