"""Stock reservations: holding units for a cart with a TTL, replacing, releasing, expiring,
and checkout consuming them (services.catalog.reservations, inventory.take_stock)."""

from __future__ import annotations

import datetime as dt

import pytest

from models.carts import Cart
from models.catalog import InventoryLevel
from models.db import atomic, utcnow
from models.inventory import StockReservation
from services import catalog
from services.catalog import stock_alerts
from services.errors import Conflict, InsufficientStock, ValidationFailed
from services.orders import carts
from tests.factories import first_variant, make_product


pytestmark = pytest.mark.usefixtures("db")


class Ctx:
    def progress(self, *args, **kwargs):
        pass


def level(variant_id):
    row = InventoryLevel.get(InventoryLevel.variant == variant_id)
    return row.quantity, row.reserved


def item(product, quantity, variant=None):
    return {"product_id": product.id, "variant_id": (variant or first_variant(product)).id, "quantity": quantity}


def new_cart():
    return carts.create_cart(None)


def test_reserve_stock_holds_units_and_lowers_what_others_can_buy():
    product = make_product(stock=5)
    variant = first_variant(product)
    cart = new_cart()
    rows = catalog.reserve_stock(cart.id, [item(product, 2)], minutes=10)
    assert [(r.quantity, r.status) for r in rows] == [(2, "active")]
    assert rows[0].expires_at - utcnow() > dt.timedelta(minutes=9)
    assert level(variant.id) == (5, 2)
    assert catalog.stock_levels([variant.id])[variant.id] == 3
    assert catalog.stock_levels([variant.id], cart_id=cart.id)[variant.id] == 5  # its own hold counts for it
    assert catalog.product_view(product).stock[variant.id] == 3  # product JSON inventoryCount: available


def test_reserve_stock_refuses_more_than_available_and_holds_nothing():
    a, b = make_product(stock=5), make_product(stock=1)
    cart = new_cart()
    with pytest.raises(InsufficientStock):
        catalog.reserve_stock(cart.id, [item(a, 2), item(b, 2)])
    assert level(first_variant(a).id) == (5, 0) and level(first_variant(b).id) == (1, 0)
    assert StockReservation.select().count() == 0


def test_reserving_again_replaces_the_carts_hold_and_restarts_its_expiry():
    product = make_product(stock=5)
    variant = first_variant(product)
    cart = new_cart()
    first = catalog.reserve_stock(cart.id, [item(product, 3)], minutes=1)[0]
    second = catalog.reserve_stock(cart.id, [item(product, 1)], minutes=30)[0]
    assert second.id == first.id and second.quantity == 1 and second.expires_at > first.expires_at
    assert level(variant.id) == (5, 1)
    catalog.reserve_stock(cart.id, [item(product, 4)])
    assert level(variant.id) == (5, 4)


def test_release_reservations_gives_the_units_back_once():
    product = make_product(stock=3)
    variant = first_variant(product)
    cart = new_cart()
    catalog.reserve_stock(cart.id, [item(product, 3)])
    assert catalog.release_reservations(cart.id) == 3
    assert catalog.release_reservations(cart.id) == 0
    assert level(variant.id) == (3, 0)
    assert StockReservation.get().status == "released"


def test_reserve_stock_rejects_bad_minutes_unknown_variants_and_inactive_carts():
    product, other = make_product(stock=3), make_product(stock=3)
    cart = new_cart()
    with pytest.raises(ValidationFailed):
        catalog.reserve_stock(cart.id, [item(product, 1)], minutes=0)
    with pytest.raises(ValidationFailed):
        catalog.reserve_stock(cart.id, [item(product, 1, variant=first_variant(other))])
    Cart.update(status="converted").where(Cart.id == cart.id).execute()
    with pytest.raises(Conflict):
        catalog.reserve_stock(cart.id, [item(product, 1)])


def test_expire_reservations_releases_expired_holds_and_announces_the_change(monkeypatch):
    product = make_product(stock=4)
    variant = first_variant(product)
    old, fresh = new_cart(), new_cart()
    catalog.reserve_stock(old.id, [item(product, 3)])
    catalog.reserve_stock(fresh.id, [item(product, 1)])
    StockReservation.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        StockReservation.cart == old.id).execute()
    published = []
    monkeypatch.setattr(stock_alerts, "publish_product_stock", lambda ids: published.append(list(ids)))
    assert catalog.expire_reservations(None, Ctx(), utcnow()) == {"expired": 1, "units": 3}
    assert level(variant.id) == (4, 1)
    assert StockReservation.get(StockReservation.cart == old.id).status == "expired"
    assert StockReservation.get(StockReservation.cart == fresh.id).status == "active"
    assert published == [[product.id]]
    assert catalog.expire_reservations(None, Ctx(), utcnow()) == {"expired": 0, "units": 0}


def test_checkout_consumes_the_carts_reservation_of_the_last_unit():
    product = make_product(stock=1)
    variant = first_variant(product)
    holder, other = new_cart(), new_cart()
    catalog.reserve_stock(holder.id, [item(product, 1)])
    with pytest.raises(InsufficientStock), atomic():
        catalog.take_stock({variant.id: 1}, cart_id=other.id)
    with atomic():
        catalog.take_stock({variant.id: 1}, cart_id=holder.id)
    assert level(variant.id) == (0, 0)
    assert StockReservation.get().status == "consumed"


def test_checkout_takes_extra_units_beyond_the_reservation_from_available():
    product = make_product(stock=5)
    variant = first_variant(product)
    cart = new_cart()
    catalog.reserve_stock(cart.id, [item(product, 2)])
    with atomic():
        catalog.take_stock({variant.id: 4}, cart_id=cart.id)
    assert level(variant.id) == (1, 0)


def test_an_expired_reservation_no_longer_holds_stock_at_checkout():
    product = make_product(stock=2)
    variant = first_variant(product)
    cart = new_cart()
    catalog.reserve_stock(cart.id, [item(product, 2)])
    StockReservation.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert catalog.stock_levels([variant.id])[variant.id] == 0  # until the expiry task or a checkout ends it
    with atomic():
        catalog.take_stock({variant.id: 1}, cart_id=cart.id)
    assert level(variant.id) == (1, 0)  # the expired hold was dropped, one unit sold from available
    assert StockReservation.get().status == "expired"


def test_stock_cannot_be_set_below_the_reserved_units():
    product = make_product(stock=5)
    variant = first_variant(product)
    catalog.reserve_stock(new_cart().id, [item(product, 3)])
    with pytest.raises(Conflict) as raised:
        catalog.set_stock(variant.id, 2)
    assert raised.value.reason == "stock_reserved"
    with pytest.raises(InsufficientStock):
        catalog.adjust_stock(variant.id, -3)
    assert catalog.adjust_stock(variant.id, -2) == 0
    assert level(variant.id) == (3, 3)


def test_in_stock_filter_uses_available_units():
    held, free = make_product(name="Held", stock=1), make_product(name="Free", stock=1)
    catalog.reserve_stock(new_cart().id, [item(held, 1)])
    views, _ = catalog.list_products(in_stock=True)
    assert [v.product.id for v in views] == [free.id]
    views, _ = catalog.list_products(in_stock=False)
    assert [v.product.id for v in views] == [held.id]
    assert catalog.product_stock_views([held.id])[held.id]["inventoryCount"] == 0
