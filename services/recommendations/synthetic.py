"""Synthetic shop histories written as real rows (demos, tests and `make bench-ml`)."""

from __future__ import annotations

import datetime as dt

import config
from models.carts import Cart, CartItem
from models.catalog import InventoryLevel, Product, Variant
from models.db import atomic, new_id, utcnow
from models.inventory import StockMovement
from models.orders import Order, OrderItem
from models.reviews import Review
from models.users import User
from models.wishlists import WishlistItem
from services import catalog

INSERT_CHUNK = 500


def _insert_chunks(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        with atomic():
            model.insert_many(rows[start:start + INSERT_CHUNK]).execute()


def seed_synthetic_history(history, price: int = 1500) -> dict:
    """Write a generated history (`ml.recommend.synthetic.generate_history`) into the shop as real rows:
    one product per item (stock 100), one customer per user, an order per `order` event, a
    customer cart per user holding the `cart_add` items, wishlist items and reviews. SYNTHETIC data,
    for demos and tests. Returns `{"products": [ids by item], "users": [ids by user], "orders", ...}`.
    """
    currency = config.get().currency
    now = utcnow()
    product_ids = [new_id("prod") for _ in range(history.n_items)]
    variant_ids = [new_id("var") for _ in range(history.n_items)]
    user_ids = [new_id("usr") for _ in range(history.n_users)]
    wh = catalog.default_warehouse().id
    with atomic():
        Product.insert_many([{"id": pid, "name": f"Synthetic product {i}", "handle": f"synthetic-{pid.lower()}",
                              "currency": currency, "price": price, "status": "active",
                              "tags": [f"segment-{int(history.item_segment[i])}"], "created_at": now,
                              "updated_at": now} for i, pid in enumerate(product_ids)]).execute()
        Variant.insert_many([{"id": vid, "product": pid, "name": "Default", "sku": f"SYN-{vid[-12:]}",
                              "price": price, "position": 1, "option_values": []}
                             for vid, pid in zip(variant_ids, product_ids)]).execute()
        InventoryLevel.insert_many([{"variant": vid, "warehouse": wh, "quantity": 100}
                                    for vid in variant_ids]).execute()
        _insert_chunks(StockMovement, [{"id": new_id("mov"), "variant": vid, "warehouse": wh, "kind": "adjustment",
                                        "quantity": 100, "quantity_after": 100, "reference": "synthetic",
                                        "created_at": now} for vid in variant_ids])  # the ledger adds up
        User.insert_many([{"id": uid, "email": f"synthetic-{uid.lower()}@example.com", "password_hash": "!",
                           "first_name": "Synthetic", "last_name": f"User{u}", "role": "customer",
                           "created_at": now, "updated_at": now} for u, uid in enumerate(user_ids)]).execute()
    orders, order_items, cart_items, wishes, reviews = [], [], {}, {}, {}
    carts_by_user = {}
    for n, event in enumerate(history.events):
        uid, pid, vid = user_ids[event.user], product_ids[event.item], variant_ids[event.item]
        if event.kind == "order":
            oid = new_id("ord")
            orders.append({"id": oid, "order_number": f"SYN-{n:07d}-{oid[-6:]}", "customer": uid,
                           "customer_email": f"synthetic-{uid.lower()}@example.com", "status": "delivered",
                           "payment_status": "paid", "payment_method": "cash_on_delivery", "subtotal": price,
                           "total": price, "currency": currency, "shipping_address": {}, "billing_address": {},
                           "shipping_method": {}, "created_at": event.at, "updated_at": event.at})
            order_items.append({"id": new_id("oi"), "order": oid, "product_id": pid, "variant_id": vid,
                                "quantity": 1, "unit_price": price, "total_price": price,
                                "product_snapshot": {"name": f"Synthetic product {event.item}"}})
        elif event.kind == "cart_add":
            cart_id = carts_by_user.setdefault(uid, new_id("cart"))
            cart_items.setdefault((cart_id, vid), {"id": new_id("item"), "cart": cart_id, "product": pid,
                                                   "variant": vid, "quantity": 1, "unit_price": price,
                                                   "created_at": event.at, "updated_at": event.at})
        elif event.kind == "wishlist":
            wishes.setdefault((uid, pid), {"id": new_id("wli"), "user": uid, "product": pid, "price_at_add": price,
                                           "created_at": event.at})
        elif event.kind == "review":
            reviews.setdefault((uid, pid), {"id": new_id("rev"), "user": uid, "product": pid,
                                            "rating": event.rating or 5, "title": "", "body": "",
                                            "created_at": event.at, "updated_at": event.at})
    return _insert_synthetic(orders, order_items, cart_items, carts_by_user, wishes, reviews, currency, now,
                             product_ids, user_ids)


def _insert_synthetic(orders, order_items, cart_items, carts_by_user, wishes, reviews, currency, now,
                      product_ids, user_ids) -> dict:
    carts = [{"id": cid, "customer": uid, "currency": currency, "status": "active", "created_at": now,
              "updated_at": now, "expires_at": now + dt.timedelta(days=30)} for uid, cid in carts_by_user.items()]
    items = list(cart_items.values())
    for model, rows in ((Order, orders), (OrderItem, order_items), (Cart, carts), (CartItem, items),
                        (WishlistItem, list(wishes.values())), (Review, list(reviews.values()))):
        _insert_chunks(model, rows)
    return {"products": product_ids, "users": user_ids, "orders": len(orders), "cartItems": len(items),
            "wishlistItems": len(wishes), "reviews": len(reviews)}
