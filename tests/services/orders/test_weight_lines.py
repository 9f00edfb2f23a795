"""Selling by weight (seed 003): weight cart lines, their prices and rounding, bad weights,
stock counted in grams, merging guest carts, reservations, variant writes and migration 0031."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.carts import Cart, CartItem
from models.catalog import InventoryLevel, Variant
from models.db import database, init_database
from models.inventory import StockReservation
from models.migrate import apply_migrations, migration_names
from models.users import User
from services import catalog, orders
from services.errors import Conflict, InsufficientStock, ValidationFailed
from services.orders import pricing
from tests.factories import first_variant, make_product, make_weight_product


def item_of(cart) -> dict:
    [item] = orders.cart_view(cart)["items"]
    return item


# --------------------------------------------------------------------------- pricing

@pytest.mark.parametrize("per_kg, grams, piece", [
    (3490, 125, 436),     # 436.25 -> 436
    (3490, 150, 524),     # 523.5 -> 524 (half up)
    (2999, 50, 150),      # 149.95 -> 150
    (1001, 500, 501),     # 500.5 -> 501
    (1000, 1000, 1000),
    (3, 100, 0),          # 0.3 -> 0
    (5, 100, 1),          # 0.5 -> 1
])
def test_weight_price_rounds_each_piece_half_up(per_kg, grams, piece):
    assert pricing.weight_price(per_kg, grams) == piece
    assert piece == pricing.round_half_up(Decimal(per_kg) * grams / 1000)


def test_unit_price_of_a_weight_line_adds_customizations_after_rounding():
    assert pricing.unit_price(3490, None, False, 200, weight_grams=125) == 436 + 200
    assert pricing.unit_price(3490, 2990, True, weight_grams=150) == 449  # wholesale per kg: 448.5 -> 449
    assert pricing.unit_price(3490, None, False) == 3490  # no weight: a unit price


# --------------------------------------------------------------------------- cart lines

def test_a_weight_line_is_priced_per_piece_and_shows_its_weight(db):
    product = make_weight_product(price_per_kg=3490)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 3, weight=150)
    item = item_of(cart)
    assert (item["soldBy"], item["weight"], item["pricePerKg"], item["quantity"]) == ("weight", 150, 3490, 3)
    assert item["unitPrice"] == 524 and item["totalPrice"] == 3 * 524
    view = orders.cart_view(cart)
    assert view["subtotal"] == 1572 and view["itemCount"] == 3
    assert item["variant"]["inventoryCount"] == 5000  # grams


def test_a_unit_line_shows_no_weight(db):
    product = make_product(price=2000)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 2)
    item = item_of(cart)
    assert (item["soldBy"], item["weight"], item["pricePerKg"], item["unitPrice"]) == ("unit", None, None, 2000)


def test_a_weight_line_without_weight_gets_the_minimum(db):
    product = make_weight_product(minimum=200)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1)
    assert item_of(cart)["weight"] == 200


def test_the_same_weight_adds_pieces_and_another_weight_is_another_line(db):
    product = make_weight_product()
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1, weight=200)
    orders.add_to_cart(cart, product.id, None, 2, weight=200)
    orders.add_to_cart(cart, product.id, None, 1, weight=500)
    lines = {item["weight"]: item["quantity"] for item in orders.cart_view(cart)["items"]}
    assert lines == {200: 3, 500: 1}


@pytest.mark.parametrize("weight, reason", [
    (50, "weight_below_minimum"),
    (120, "weight_not_a_step_multiple"),
    (100_050, "weight_too_large"),
])
def test_bad_weights_are_refused_and_write_nothing(db, weight, reason):
    product = make_weight_product(step=50, minimum=100)
    cart = orders.create_cart(None)
    with pytest.raises(ValidationFailed) as caught:
        orders.add_to_cart(cart, product.id, None, 1, weight=weight)
    assert caught.value.reason == reason and caught.value.status == 422
    assert caught.value.details[0]["field"] == "weight"
    assert CartItem.select().where(CartItem.cart == cart.id).count() == 0


def test_a_unit_variant_refuses_a_weight(db):
    product = make_product()
    cart = orders.create_cart(None)
    with pytest.raises(ValidationFailed) as caught:
        orders.add_to_cart(cart, product.id, None, 1, weight=100)
    assert caught.value.reason == "weight_not_applicable"
    assert CartItem.select().where(CartItem.cart == cart.id).count() == 0
    orders.add_to_cart(cart, product.id, None, 1)
    line = CartItem.get(CartItem.cart == cart.id)
    with pytest.raises(ValidationFailed) as caught:
        orders.update_cart_item(cart, line.id, 2, weight=100)
    assert caught.value.reason == "weight_not_applicable"
    assert CartItem.get_by_id(line.id).quantity == 1


def test_stock_counts_grams_over_every_line_of_the_variant(db):
    product = make_weight_product(grams=1000)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 2, weight=300)  # 600 g
    with pytest.raises(InsufficientStock) as caught:
        orders.add_to_cart(cart, product.id, None, 1, weight=500)  # 1 100 g > 1 000 g
    assert caught.value.details[0]["message"] == "Only 1000 g available"
    orders.add_to_cart(cart, product.id, None, 1, weight=400)  # exactly 1 000 g
    line = CartItem.get(CartItem.cart == cart.id, CartItem.weight_grams == 300)
    with pytest.raises(InsufficientStock):
        orders.update_cart_item(cart, line.id, 3)  # 900 + 400 g
    assert orders.variant_quantities(orders.load_lines(cart.id)) == {first_variant(product).id: 1000}


def test_an_update_changes_pieces_and_weight_but_not_into_another_line(db):
    product = make_weight_product(price_per_kg=2000)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1, weight=200)
    orders.add_to_cart(cart, product.id, None, 1, weight=300)
    line = CartItem.get(CartItem.cart == cart.id, CartItem.weight_grams == 200)
    orders.update_cart_item(cart, line.id, 2, weight=250)
    assert (CartItem.get_by_id(line.id).quantity, CartItem.get_by_id(line.id).weight_grams) == (2, 250)
    orders.update_cart_item(cart, line.id, 4)  # weight kept
    assert CartItem.get_by_id(line.id).weight_grams == 250
    with pytest.raises(Conflict) as caught:
        orders.update_cart_item(cart, line.id, 1, weight=300)
    assert caught.value.reason == "duplicate_cart_line"
    assert CartItem.get_by_id(line.id).weight_grams == 250
    with pytest.raises(ValidationFailed) as bad:
        orders.update_cart_item(cart, line.id, 1, weight=260)
    assert bad.value.reason == "weight_not_a_step_multiple"


def test_a_wholesale_customer_pays_the_wholesale_price_per_kg(db):
    product = make_weight_product(price_per_kg=3000)
    Variant.update(wholesale_price=2400).where(Variant.product == product.id).execute()
    cart = orders.create_cart(User.create(email="trade@example.com", password_hash="!", customer_group="wholesale"))
    orders.add_to_cart(cart, product.id, None, 1, weight=250)
    item = item_of(cart)
    assert (item["pricePerKg"], item["unitPrice"]) == (2400, 600)


def test_a_guest_cart_merges_weight_lines_by_weight_and_caps_whole_pieces(db):
    product = make_weight_product(grams=1000)
    user = User.create(email="merge@example.com", password_hash="!")
    mine = orders.create_cart(user)
    orders.add_to_cart(mine, product.id, None, 1, weight=200)
    guest = orders.create_cart(None)
    orders.add_to_cart(guest, product.id, None, 2, weight=200)  # joins my 200 g line
    orders.add_to_cart(guest, product.id, None, 2, weight=300)  # 600 g asked, 400 g left: one piece fits
    result = orders.merge_guest_cart(user, guest.id)
    lines = {line.weight_grams: line.quantity for line in CartItem.select().where(CartItem.cart == mine.id)}
    assert lines == {200: 3, 300: 1}
    assert result["capped"] == [{"variantId": first_variant(product).id, "requested": 2, "quantity": 1}]
    guest2 = orders.create_cart(None)
    orders.add_to_cart(guest2, product.id, None, 1, weight=100)  # the last 100 g
    orders.merge_guest_cart(user, guest2.id)
    lines = {line.weight_grams: line.quantity for line in CartItem.select().where(CartItem.cart == mine.id)}
    assert lines == {200: 3, 300: 1, 100: 1}


# --------------------------------------------------------------------------- reservations

def test_a_reservation_of_a_weight_variant_holds_pieces_times_grams(db):
    product = make_weight_product(grams=1000)
    variant = first_variant(product)
    cart = orders.create_cart(None)
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": variant.id, "quantity": 3,
                                     "weight": 250}])
    assert StockReservation.get(StockReservation.cart == cart.id).quantity == 750
    assert catalog.stock_levels([variant.id])[variant.id] == 250
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": variant.id, "quantity": 400}])  # grams
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).reserved == 400
    with pytest.raises(ValidationFailed) as caught:
        catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": variant.id, "quantity": 1,
                                         "weight": 130}])
    assert caught.value.reason == "weight_not_a_step_multiple"
    assert caught.value.details[0]["field"] == "items.0.weight"
    unit = make_product()
    with pytest.raises(ValidationFailed) as caught:
        catalog.reserve_stock(cart.id, [{"product_id": unit.id, "variant_id": first_variant(unit).id, "quantity": 1,
                                         "weight": 100}])
    assert caught.value.reason == "weight_not_applicable"


# --------------------------------------------------------------------------- variant writes

def _cheese(variant: dict) -> dict:
    return {"name": "Tomme", "kind": "cheese", "variants": [{"name": "Cut", "price": 2800, **variant}]}


def test_a_variant_sold_by_weight_is_written_and_read_back(db):
    product = catalog.create_product(_cheese({"sold_by": "weight", "weight_step_grams": 50,
                                              "min_weight_grams": 150, "inventory_count": 4000}))
    [row] = catalog.product_view(product).variants
    assert (row.sold_by, row.weight_step_grams, row.min_weight_grams) == ("weight", 50, 150)
    catalog.update_product(product.id, {"variants": [{"id": row.id, "min_weight_grams": 200}]})
    variant = Variant.get_by_id(row.id)
    assert (variant.sold_by, variant.weight_step_grams, variant.min_weight_grams) == ("weight", 50, 200)


@pytest.mark.parametrize("fields, reason", [
    ({"sold_by": "weight"}, "invalid_weight_step"),
    ({"sold_by": "weight", "weight_step_grams": 50}, "invalid_weight_step"),
    ({"sold_by": "weight", "weight_step_grams": 30, "min_weight_grams": 90}, "invalid_weight_step"),
    ({"sold_by": "weight", "weight_step_grams": 50, "min_weight_grams": 120}, "invalid_weight_step"),
    ({"weight_step_grams": 50, "min_weight_grams": 100}, "weight_fields_for_unit_variant"),
    ({"sold_by": "kilo"}, "invalid_sold_by"),
])
def test_bad_weight_selling_fields_are_refused(db, fields, reason):
    with pytest.raises(ValidationFailed) as caught:
        catalog.create_product(_cheese(fields))
    assert caught.value.reason == reason


def test_a_variant_turned_to_weight_loses_its_unit_cart_lines(db):
    product = make_product(price=900, stock=10)
    variant = first_variant(product)
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 2)
    catalog.update_product(product.id, {"variants": [{"id": variant.id, "sold_by": "weight",
                                                      "weight_step_grams": 100, "min_weight_grams": 100}]})
    assert CartItem.select().where(CartItem.cart == cart.id).count() == 0
    catalog.update_product(product.id, {"variants": [{"id": variant.id, "sold_by": "unit"}]})
    variant = Variant.get_by_id(variant.id)
    assert (variant.sold_by, variant.weight_step_grams, variant.min_weight_grams) == ("unit", None, None)


# --------------------------------------------------------------------------- migration

def test_0031_adds_weight_columns_and_widens_the_cart_line_key(tmp_path):
    """A database at 0030 (today's tables from 0001 with 0031's columns and index taken off): its
    variants become unit variants, its lines unit lines (weight 0), and a second line of the same
    variant and customizations with another weight becomes possible."""
    init_database(f"sqlite:///{tmp_path / 'weights.db'}")
    with database.connection_context():
        apply_migrations(target="0030_payment_status_length")
        database.execute_sql("DROP INDEX cart_item_cart_id_variant_id_customization_key_weight_grams")
        for table, column in (("variant", "sold_by"), ("variant", "weight_step_grams"),
                              ("variant", "min_weight_grams"), ("cart_item", "weight_grams"),
                              ("order_item", "weight_grams"), ("order_item", "price_per_kg")):
            database.execute_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS cart_item_cart_id_variant_id_customization_key "
                             "ON cart_item (cart_id, variant_id, customization_key)")
        database.execute_sql("INSERT INTO cart (id, currency, status, created_at, updated_at, expires_at) "
                             "VALUES ('cart_1', 'USD', 'active', '2026-01-01', '2026-01-01', '2030-01-01')")
        database.execute_sql("INSERT INTO product (id, handle, name, description, vendor, product_type, tags, "
                             "status, price, currency, seo_title, seo_description, attributes, options, kind, "
                             "is_featured, created_at, updated_at) VALUES ('prod_1', 'p', 'P', '', '', '', '[]', "
                             "'active', 100, 'USD', '', '', '{}', '[]', 'cheese', 0, '2026-01-01', '2026-01-01')")
        database.execute_sql("INSERT INTO variant (id, product_id, name, price, option_values, low_stock_threshold, "
                             "position, requires_shipping, created_at, updated_at) VALUES ('var_1', 'prod_1', 'D', "
                             "100, '[]', 10, 1, 1, '2026-01-01', '2026-01-01')")
        database.execute_sql("INSERT INTO cart_item (id, cart_id, product_id, variant_id, quantity, unit_price, "
                             "created_at, updated_at) VALUES ('item_1', 'cart_1', 'prod_1', 'var_1', 2, 100, "
                             "'2026-01-01', '2026-01-01')")
        assert apply_migrations() == migration_names()[migration_names().index("0030_payment_status_length") + 1:]
        assert database.execute_sql("SELECT sold_by, weight_step_grams FROM variant").fetchall() == [("unit", None)]
        assert database.execute_sql("SELECT weight_grams FROM cart_item").fetchall() == [(0,)]
        indexes = [r[1] for r in database.execute_sql("PRAGMA index_list('cart_item')").fetchall()]
        assert "cart_item_cart_id_variant_id_customization_key_weight_grams" in indexes
        assert "cart_item_cart_id_variant_id_customization_key" not in indexes
        database.execute_sql("INSERT INTO cart_item (id, cart_id, product_id, variant_id, quantity, unit_price, "
                             "weight_grams, created_at, updated_at) VALUES ('item_2', 'cart_1', 'prod_1', 'var_1', "
                             "1, 100, 250, '2026-01-01', '2026-01-01')")
        assert Cart.select().count() == 1
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_demo_cheese_shop_cuts_comte_and_manchego_to_order(db):
    from services import demo

    demo.seed_demo_if_empty()
    cut = Variant.get(Variant.sku == "FA-COMTE-CUT")
    assert (cut.sold_by, cut.price, cut.weight_step_grams, cut.min_weight_grams) == ("weight", 3400, 50, 100)
    assert catalog.stock_levels([cut.id])[cut.id] == 8000  # grams
    assert Variant.get(Variant.sku == "FA-MANCH-CUT").sold_by == "weight"
    assert Variant.get(Variant.sku == "FA-COMTE-250").sold_by == "unit"
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, cut.product_id, cut.id, 1, weight=350)
    assert item_of(cart)["unitPrice"] == 1190  # 34.00/kg x 350 g


def test_a_weight_lines_parcel_weighs_its_chosen_grams():
    from types import SimpleNamespace

    from services.orders.shipping import parcel

    cut = SimpleNamespace(unit_price=850, item=SimpleNamespace(quantity=2, weight_grams=250),
                          variant=SimpleNamespace(weight_grams=None))
    boxed = SimpleNamespace(unit_price=1000, item=SimpleNamespace(quantity=3, weight_grams=0),
                            variant=SimpleNamespace(weight_grams=400))
    shipped = parcel([cut, boxed])
    assert (shipped.subtotal, shipped.weight_grams) == (850 * 2 + 1000 * 3, 2 * 250 + 3 * 400)
