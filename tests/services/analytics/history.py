"""A small shop history over two UTC days and two currencies, written as rows (the rollup reads
orders, lines, refunds, carts and accounts; how they were placed does not matter to it).

D1 = Sunday 2026-11-29, D2 = Monday 2026-11-30 (ISO weeks of 2026-11-23 and 2026-11-30, both in
November). Products: A (category Roses), B (category Bouquets), C (no category).

- D1 USD: alice A x2 @1000 + shipping 500 + tax 160 = 2660 (confirmed); bob (guest) B x1 @3000
  - discount 300 = 2700 at 23:59:59.999 (delivered); alice A x1 1000 (cancelled: not counted);
  carts: converted with items, expired with items, active with items, active empty.
- D1 EUR: carol A x3 @900 = 2700 (delivered); a succeeded refund of 700 EUR.
- D2 USD: alice B x1 3000 at 00:00:00 (returning); guest "BOB@Example.com" B x1 3000 (returning);
  dave A x3 @1000 = 3000 (new); eve C x1 500 (returning: she ordered on 2026-10-10); a succeeded
  refund of 500 on bob's D1 order and a failed one of 999.
- Accounts: alice and carol registered on D1 (and a staff member), dave on D2.
"""

from __future__ import annotations

import datetime as dt

from models.carts import Cart, CartItem
from models.catalog import Category
from models.db import new_id
from models.orders import Order, OrderItem, Payment, Refund
from tests.factories import first_variant, make_product, quick_user

D1 = dt.date(2026, 11, 29)
D2 = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0, micro: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, micro)


def make_order(when, currency="USD", lines=(), customer=None, email=None, status="confirmed", shipping=0, tax=0,
               discount=0) -> Order:
    """An order placed at `when` with `lines` [(product, quantity, unit price)]; total = subtotal -
    discount + shipping + tax."""
    subtotal = sum(q * price for _, q, price in lines)
    order = Order.create(order_number=new_id("n"), customer=customer,
                         customer_email=email or (customer.email if customer else "guest@example.com"),
                         status=status, payment_method="cash_on_delivery", subtotal=subtotal, tax=tax,
                         shipping=shipping, discount=discount, total=subtotal - discount + shipping + tax,
                         currency=currency, shipping_address={}, billing_address={}, shipping_method={},
                         created_at=when, updated_at=when)
    for product, quantity, price in lines:
        variant = first_variant(product)
        OrderItem.create(order=order, product_id=product.id, variant_id=variant.id, quantity=quantity,
                         unit_price=price, total_price=quantity * price, product_snapshot={"name": product.name})
    return order


def refund(order: Order, amount: int, when, status="succeeded") -> Refund:
    payment = Payment.get_or_none(Payment.order == order) or Payment.create(
        order=order, provider="cash_on_delivery", amount=order.total, currency=order.currency)
    return Refund.create(order=order, payment=payment, amount=amount, currency=order.currency, status=status,
                         reason="order_cancelled", created_at=when, updated_at=when)


def make_cart(when, status="active", items=1, product=None, currency="USD") -> Cart:
    cart = Cart.create(currency=currency, status=status, created_at=when, updated_at=when,
                       expires_at=when + dt.timedelta(days=30))
    for _ in range(items):
        CartItem.create(cart=cart, product=product, variant=first_variant(product), quantity=1, unit_price=1000)
    return cart


def build_history() -> dict:
    """Write the history of the module docstring; returns its products, users and orders by name."""
    roses = Category.create(name="Roses", slug=f"roses-{new_id('s')[-6:].lower()}")
    bouquets = Category.create(name="Bouquets", slug=f"bouquets-{new_id('s')[-6:].lower()}")
    a = make_product("Red Roses", price=1000, category=roses)
    b = make_product("Spring Bouquet", price=3000, category=bouquets)
    c = make_product("Greeting Card", price=500)
    alice = quick_user(created_at=at(D1, 8))
    carol = quick_user(created_at=at(D1, 9))
    quick_user(role="staff", created_at=at(D1, 9))
    dave = quick_user(created_at=at(D2, 8))
    eve = quick_user(created_at=dt.datetime(2026, 10, 1))

    make_order(dt.datetime(2026, 10, 10, 10), lines=[(c, 1, 500)], customer=eve)
    orders = {
        "alice_d1": make_order(at(D1, 10), lines=[(a, 2, 1000)], customer=alice, shipping=500, tax=160),
        "bob_d1": make_order(at(D1, 23, 59, 59, 999000), lines=[(b, 1, 3000)], email="bob@example.com",
                             status="delivered", discount=300),
        "alice_cancelled": make_order(at(D1, 13), lines=[(a, 1, 1000)], customer=alice, status="cancelled"),
        "carol_d1": make_order(at(D1, 14), "EUR", lines=[(a, 3, 900)], customer=carol, status="delivered"),
        "alice_d2": make_order(at(D2, 0), lines=[(b, 1, 3000)], customer=alice),
        "bob_d2": make_order(at(D2, 9), lines=[(b, 1, 3000)], email="BOB@Example.com"),
        "dave_d2": make_order(at(D2, 10), lines=[(a, 3, 1000)], customer=dave),
        "eve_d2": make_order(at(D2, 11), lines=[(c, 1, 500)], customer=eve),
    }
    refund(orders["carol_d1"], 700, at(D1, 15))
    refund(orders["bob_d1"], 500, at(D2, 12))
    refund(orders["bob_d1"], 999, at(D2, 13), status="failed")
    make_cart(at(D1, 10), status="converted", product=a)
    make_cart(at(D1, 11), status="expired", product=a)
    make_cart(at(D1, 12), status="active", product=b)
    make_cart(at(D1, 13), status="active", items=0, product=a)
    return {"products": {"a": a, "b": b, "c": c}, "categories": {"roses": roses, "bouquets": bouquets},
            "users": {"alice": alice, "carol": carol, "dave": dave, "eve": eve}, "orders": orders}
