"""The interaction signals recommendations learn from (`load_events`).

Order lines of orders not cancelled (`order`, at the order time), items of customer
carts that were not converted into an order (`cart_add`, at the add time; converted
carts are already counted as orders), wishlist items (`wishlist`) and reviews of 4 or
5 stars (`review`). Guests are not in the matrix.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from models.carts import Cart, CartItem
from models.orders import Order, OrderItem
from models.reviews import Review
from models.wishlists import WishlistItem

if TYPE_CHECKING:  # numpy/scipy/scikit-learn load only in processes that train
    from ml.recommend.interactions import Events

GOOD_REVIEW_STARS = 4


def posix(value: dt.datetime) -> float:
    """A stored naive-UTC datetime as POSIX seconds."""
    return value.replace(tzinfo=dt.timezone.utc).timestamp()



def load_events() -> Events:
    """Every customer's interaction events (see the module docstring), as `ml.recommend` Events."""
    from ml.recommend.interactions import Events

    records = []
    orders = (OrderItem.select(Order.customer, OrderItem.product_id, Order.created_at).join(Order)
              .where(Order.customer.is_null(False), Order.status != "cancelled").tuples())
    records += [(u, p, "order", posix(t)) for u, p, t in orders]
    cart_adds = (CartItem.select(Cart.customer, CartItem.product, CartItem.created_at).join(Cart)
                 .where(Cart.customer.is_null(False), Cart.status != "converted").tuples())
    records += [(u, p, "cart_add", posix(t)) for u, p, t in cart_adds]
    wished = WishlistItem.select(WishlistItem.user, WishlistItem.product, WishlistItem.created_at).tuples()
    records += [(u, p, "wishlist", posix(t)) for u, p, t in wished]
    reviewed = (Review.select(Review.user, Review.product, Review.created_at)
                .where(Review.rating >= GOOD_REVIEW_STARS).tuples())
    records += [(u, p, "review", posix(t)) for u, p, t in reviewed]
    return Events.from_records(records)
