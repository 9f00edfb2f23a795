"""Homepage banners (migration 0042): the promotional slides at the top of seed 002's homepage."""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow


class Banner(BaseModel):
    """A homepage banner (services.content.banners).

    `link_type`: `url` (`link` is an https URL or a path on the storefront, starting with `/`),
    `product` or `category` (`link` is its id). `position`: ascending display order. Shown while
    `active` and now is inside [`starts_at`, `ends_at`) (naive UTC; null: open-ended).
    """

    id = PrefixedIdField("ban")
    title = peewee.CharField(max_length=120)
    subtitle = peewee.CharField(max_length=200, default="")
    image_url = peewee.CharField(max_length=500)
    link_type = peewee.CharField(max_length=20, default="url")
    link = peewee.CharField(max_length=500, default="")
    position = peewee.IntegerField(default=0)
    active = peewee.BooleanField(default=True)
    starts_at = peewee.DateTimeField(null=True)
    ends_at = peewee.DateTimeField(null=True)
    created_by = peewee.CharField(max_length=40, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("active", "position"), False),)
