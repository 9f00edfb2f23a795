"""Store staff links and store reviews (migration 0037); the `store` table itself is
models.catalog.Store (products refer to it)."""

import peewee

from models.catalog import Store
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User


class StoreStaff(BaseModel):
    """A user who runs a store: they may edit that store (and only it); admins edit any."""

    store = peewee.ForeignKeyField(Store, backref="staff", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="stores_run", on_delete="CASCADE", index=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("store", "user"), True),)


class StoreReview(BaseModel):
    """A customer's review of a store: one per customer and store, `rating` 1-5, `text` cleaned
    HTML (services.platform.html). The store's `rating_sum`/`rating_count` follow these rows."""

    id = PrefixedIdField("srev")
    store = peewee.ForeignKeyField(Store, backref="reviews", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="store_reviews", on_delete="CASCADE")
    rating = peewee.SmallIntegerField()
    text = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("store", "user"), True),)
