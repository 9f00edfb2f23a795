"""Cart writes check the cart's state inside their transaction, on the freshly read (and on
PostgreSQL `FOR UPDATE`-locked) row, so a write racing a checkout never lands in a converted cart."""

import threading
import time

import pytest

from models.carts import Cart, CartItem
from models.db import atomic, database, is_postgres, utcnow
from services import orders
from services.errors import Conflict
from tests.factories import first_variant, make_product


def cart_with_one_line(product):
    cart = orders.create_cart(None)
    orders.add_to_cart(cart, product.id, None, 1)
    return orders.get_cart(cart.id, None)


def convert_behind_its_back(cart):
    """What a checkout committing between the caller's read of the cart and its write does."""
    Cart.update(status="converted", converted_at=utcnow()).where(Cart.id == cart.id).execute()


WRITES = {
    "add": lambda cart, product: orders.add_to_cart(cart, product.id, None, 1),
    "update": lambda cart, product: orders.update_cart_item(cart, CartItem.get(CartItem.cart == cart.id).id, 2),
    "remove": lambda cart, product: orders.remove_cart_item(cart, CartItem.get(CartItem.cart == cart.id).id),
    "clear": lambda cart, product: orders.clear_cart(cart),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_cart_write_is_refused_when_the_cart_was_converted_after_it_was_read(db, write):
    product = make_product(stock=5)
    stale = cart_with_one_line(product)  # read while still active
    convert_behind_its_back(stale)
    assert stale.status == "active"
    with pytest.raises(Conflict) as caught:
        WRITES[write](stale, product)
    assert caught.value.reason == "cart_not_active"
    lines = list(CartItem.select().where(CartItem.cart == stale.id))
    assert [(line.variant_id, line.quantity) for line in lines] == [(first_variant(product).id, 1)]


def test_an_add_racing_a_checkout_that_converts_the_cart_is_refused(db):
    product = make_product(stock=5)
    cart = orders.create_cart(None)
    locked, done = threading.Event(), threading.Event()

    def checkout():  # holds the cart like place_order, then converts it
        with database.connection_context():
            with atomic():
                query = Cart.select().where(Cart.id == cart.id)
                (query.for_update() if is_postgres() else query).get()
                Cart.update(updated_at=utcnow()).where(Cart.id == cart.id).execute()
                locked.set()
                time.sleep(0.5)
                Cart.update(status="converted", converted_at=utcnow()).where(Cart.id == cart.id).execute()
        done.set()

    thread = threading.Thread(target=checkout)
    thread.start()
    assert locked.wait(10)
    read_before_commit = orders.get_cart(cart.id, None)
    assert read_before_commit.status == "active"  # the checkout has not committed yet
    with pytest.raises(Conflict) as caught:
        orders.add_to_cart(read_before_commit, product.id, None, 1)
    thread.join(10)
    assert done.is_set()
    assert caught.value.reason == "cart_not_active"
    assert CartItem.select().where(CartItem.cart == cart.id).count() == 0
