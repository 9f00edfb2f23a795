"""The stock movements ledger adds up, low-stock alerts fire for every kind of change, and
back-in-stock requests are notified once (services.catalog.stock_ledger, stock_alerts,
back_in_stock)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from playhouse.migrate import SchemaMigrator

from models.catalog import InventoryLevel, Variant
from models.db import atomic, database, utcnow
from models.inventory import BackInStockRequest, StockMovement, StockReservation
from models.jobs import Job
from services import catalog
from services.orders import carts
from tests.factories import first_variant, make_product, quick_user

pytestmark = pytest.mark.usefixtures("db")


class Ctx:
    def progress(self, *args, **kwargs):
        pass


def events(event_type):
    return [j.payload for j in Job.select().where(Job.type == "event_fanout").order_by(Job.created_at, Job.id)
            if j.payload.get("event") == event_type]


def assert_ledger_adds_up():
    levels = list(InventoryLevel.select())
    assert levels
    for lv in levels:
        assert catalog.ledger_totals(lv.variant_id, lv.warehouse_id) == (lv.quantity, lv.reserved)


def test_on_hand_and_reserved_equal_the_sum_of_movements_after_a_mixed_scenario():
    product = make_product(variants=[{"name": "S", "price": 1000, "stock": 20}, {"name": "L", "price": 1500,
                                                                                "stock": 0}])
    small, large = [v.id for v in product.variants.order_by(Variant.position)]
    created = catalog.create_product({"name": "Created", "variants": [{"name": "One", "price": 500,
                                                                       "inventory_count": 7}]})
    catalog.set_stock(small, 30)
    catalog.adjust_stock(small, -4)
    catalog.adjust_stock(large, 6)
    catalog.restock(large, 5, note="delivery")
    cart, other = carts.create_cart(None), carts.create_cart(None)
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": small, "quantity": 3}])
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": small, "quantity": 5}])
    catalog.reserve_stock(other.id, [{"product_id": product.id, "variant_id": large, "quantity": 2}])
    with atomic():
        catalog.take_stock({small: 6, large: 1}, cart_id=cart.id)
    with atomic():
        catalog.release_stock({small: 2}, reference="ord_x")
    StockReservation.update(expires_at=utcnow() - dt.timedelta(minutes=1)).where(
        StockReservation.cart == other.id).execute()
    catalog.expire_reservations(None, Ctx(), utcnow())
    catalog.set_product_stock(created.id, inventory_count=2)
    assert_ledger_adds_up()
    kinds = {m.kind for m in StockMovement.select()}
    assert kinds >= {"adjustment", "restock", "reservation", "reservation_release", "sale", "release"}
    sale = StockMovement.get(StockMovement.kind == "sale", StockMovement.variant == small)
    assert (sale.quantity, sale.reserved_change, sale.quantity_after, sale.reference) == (-6, -5, 20, cart.id)


def test_the_migration_writes_an_opening_balance_for_levels_without_movements():
    product = make_product(stock=3)
    variant = first_variant(product)
    StockMovement.delete().execute()
    InventoryLevel.update(quantity=9).where(InventoryLevel.variant == variant.id).execute()
    migration = importlib.import_module("models.migrations.0021_inventory_ledger")
    migration.migrate(database, SchemaMigrator.from_database(database))
    migration.migrate(database, SchemaMigrator.from_database(database))  # idempotent
    opening = list(StockMovement.select())
    assert [(m.kind, m.quantity, m.note) for m in opening] == [("adjustment", 9, "opening balance")]
    assert_ledger_adds_up()


def test_an_admin_edit_from_90_to_5_sends_a_low_stock_alert_once():
    product = make_product(stock=90)
    variant = first_variant(product)
    catalog.set_product_stock(product.id, inventory_count=5)
    catalog.set_product_stock(product.id, inventory_count=4)
    assert [(e["subjectId"], e["data"]["quantity"], e["data"]["threshold"]) for e in events("stock.low")] == \
        [(variant.id, 5, 10)]


def test_a_reservation_that_dips_available_below_the_threshold_alerts_too():
    product = make_product(stock=12)
    catalog.reserve_stock(carts.create_cart(None).id,
                          [{"product_id": product.id, "variant_id": first_variant(product).id, "quantity": 3}])
    assert [e["data"]["quantity"] for e in events("stock.low")] == [9]
    assert events("stock.low")[0]["data"]["onHand"] == 12


def test_a_sale_alerts_from_the_level_it_left_counting_the_carts_own_hold():
    product = make_product(stock=15)  # threshold 10
    variant = first_variant(product)
    cart = carts.create_cart(None)
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": variant.id, "quantity": 2}])  # 13
    with atomic():
        catalog.take_stock({variant.id: 4}, cart_id=cart.id)  # 2 of them held: 13 -> 11, above the threshold
    assert events("stock.low") == []
    with atomic():
        catalog.take_stock({variant.id: 1})  # 11 -> 10: the crossing
    with atomic():
        catalog.take_stock({variant.id: 1})  # 10 -> 9: still low, no second alert
    assert [(e["data"]["quantity"], e["data"]["onHand"], e["data"]["reserved"]) for e in events("stock.low")] == \
        [(10, 10, 0)]
    assert_ledger_adds_up()


def test_a_sale_smaller_than_the_carts_hold_can_bring_a_variant_back():
    product = make_product(stock=3)
    variant = first_variant(product)
    ana = quick_user()
    cart = carts.create_cart(None)
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": variant.id, "quantity": 3}])
    catalog.subscribe_back_in_stock(ana, product.id, variant.id)  # 0 available to anyone else
    with atomic():
        catalog.take_stock({variant.id: 1}, cart_id=cart.id)  # the hold of 3 ends: 2 available again
    assert [(e["data"]["userIds"], e["data"]["available"]) for e in events("stock.back_in_stock")] == [([ana.id], 2)]
    assert_ledger_adds_up()


def test_back_in_stock_requests_are_notified_once_when_a_variant_comes_back():
    product = make_product(stock=0)
    variant = first_variant(product)
    ana, ben = quick_user(), quick_user()
    assert catalog.subscribe_back_in_stock(ana, product.id, variant.id)[1] is True
    assert catalog.subscribe_back_in_stock(ana, product.id, variant.id)[1] is False  # idempotent
    catalog.subscribe_back_in_stock(ben, product.id, variant.id)
    catalog.unsubscribe_back_in_stock(ben, product.id, variant.id)
    catalog.restock(variant.id, 3)
    catalog.restock(variant.id, 2)  # already available: nobody is told again
    catalog.set_stock(variant.id, 0)
    catalog.set_stock(variant.id, 4)  # back again, but Ana's request was notified already
    sent = events("stock.back_in_stock")
    assert [(e["subjectId"], e["data"]["userIds"], e["data"]["available"]) for e in sent] == \
        [(variant.id, [ana.id], 3)]
    assert BackInStockRequest.get().notified_at is not None
    assert catalog.subscribe_back_in_stock(ana, product.id, variant.id)[1] is True  # asking again re-arms it
