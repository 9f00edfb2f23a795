"""The schemas of the stores API (web.stores): what a store write accepts (names, location,
contact, offers, opening hours per weekday, minimum order) and what store views answer."""

from __future__ import annotations

import zoneinfo

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from services import content
from web.products import HTTP_URL, ProductQueryArgsSchema
from web.schemas import (CamelSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean, StrictBoolean,
                         StrictFloat, StrictInteger)

SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"
TRIMMED = validate.Regexp(r"^\S(?:.*\S)?$", error="no leading or trailing spaces")
TIME_ZONES = frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> None:
    if value not in TIME_ZONES:
        raise ma.ValidationError("An IANA time zone such as Europe/Lisbon")


def _two_decimals(value: float) -> None:
    if abs(value * 100 - round(value * 100)) > 1e-6:
        raise ma.ValidationError("At most 2 decimals")


# --------------------------------------------------------------------------- input schemas

class IntervalSchema(CamelSchema):
    open = ma.fields.String(required=True, validate=validate.Regexp(content.TIME_PATTERN, error="HH:MM"),
                            metadata={"description": "HH:MM, store time"})
    close = ma.fields.String(required=True, validate=validate.Regexp(content.TIME_PATTERN, error="HH:MM"),
                             metadata={"description": "HH:MM; at or before `open`: the next day (overnight)"})


def _day_field():
    return ma.fields.List(ma.fields.Nested(IntervalSchema), validate=validate.Length(max=6),
                          metadata={"description": "opening intervals; empty or missing: closed"})


HoursSchema = CamelSchema.from_dict({day: _day_field() for day in content.WEEKDAYS}, name="StoreHoursSchema")


class LocationInputSchema(CamelSchema):
    address = ma.fields.String(validate=validate.Length(max=300))
    city = ma.fields.String(validate=validate.Length(max=100))
    country = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{2}$", error="ISO 3166-1 alpha-2"))
    latitude = StrictFloat(allow_none=True, validate=validate.Range(min=-90, max=90),
                           metadata={"description": "degrees"})
    longitude = StrictFloat(allow_none=True, validate=validate.Range(min=-180, max=180),
                            metadata={"description": "degrees"})
    delivery_radius_km = StrictFloat(data_key="deliveryRadius", validate=validate.Range(min=0, max=1000),
                                     metadata={"description": "km around the store it delivers to (0: none)"})


class ContactInputSchema(CamelSchema):
    phone = ma.fields.String(allow_none=True, validate=validate.Length(min=3, max=30),
                             metadata={"description": "E.164, or national for the store's country"})
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254))
    website = ma.fields.String(allow_none=True, validate=[validate.Length(max=1000), validate.Regexp(HTTP_URL)])


class OffersInputSchema(CamelSchema):
    cashback = StrictFloat(validate=[validate.Range(min=0, max=100), _two_decimals],
                           metadata={"description": "percent, 0-100, at most 2 decimals"})
    discount_text = ma.fields.String(validate=validate.Length(max=200))
    is_partner = StrictBoolean()


class MoneySchema(CamelSchema):
    amount = StrictInteger(required=True, validate=validate.Range(min=0, max=100_000_000),
                           metadata={"description": "minor units"})
    currency = ma.fields.String(validate=validate.Regexp(r"^[A-Za-z]{3}$"),
                                metadata={"description": "the shop's currency (default)"})


class OperationalInputSchema(CamelSchema):
    hours = ma.fields.Nested(HoursSchema, metadata={"description": "weekday -> intervals; replaces every day"})
    timezone = ma.fields.String(data_key="timeZone", allow_none=True, validate=[validate.Length(max=64), _time_zone],
                                metadata={"description": "IANA time zone; null: the shop's (SHOP_TIMEZONE)"})
    delivery_time = ma.fields.String(validate=validate.Length(max=50), metadata={"description": "e.g. 30-45 mins"})
    minimum_order = ma.fields.Nested(MoneySchema, allow_none=True, metadata={"description": "null: none"})


class StoreUpdateSchema(CamelSchema):
    """Fields to change (nested objects key by key; `hours` and `staffIds` replace the whole value)."""

    name = ma.fields.String(validate=[validate.Length(min=1, max=200), TRIMMED])
    slug = ma.fields.String(validate=[validate.Length(min=1, max=200), validate.Regexp(f"^{SLUG_PATTERN}$"),
                                      validate.NoneOf(sorted(content.RESERVED_SLUGS))])
    description = ma.fields.String(validate=validate.Length(max=5000))
    category_id = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^cat_[0-9A-Za-z]{1,40}$"))
    location = ma.fields.Nested(LocationInputSchema)
    contact = ma.fields.Nested(ContactInputSchema)
    offers = ma.fields.Nested(OffersInputSchema)
    operational_info = ma.fields.Nested(OperationalInputSchema)
    is_active = StrictBoolean(metadata={"description": "admins only"})
    staff_ids = ma.fields.List(ma.fields.String(validate=validate.Regexp(r"^usr_[0-9A-Za-z]{1,40}$")),
                               validate=validate.Length(max=50),
                               metadata={"description": "admins only: the users who run the store"})


class StoreCreateSchema(StoreUpdateSchema):
    """A new store; `slug` defaults to a free slug of the name."""

    name = ma.fields.String(required=True, validate=[validate.Length(min=1, max=200), TRIMMED])


class StoreListArgsSchema(PaginationArgsSchema):
    category = ma.fields.String(validate=validate.Length(min=1, max=200),
                                metadata={"description": "category id or slug (its subcategories included)"})
    city = ma.fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "case-insensitive"})
    open_now = QueryBoolean(metadata={"description": "open at this moment in the store's time zone"})
    partner = QueryBoolean()
    search = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "name, description"})


class CategoryStoresArgsSchema(StoreListArgsSchema):
    class Meta(StoreListArgsSchema.Meta):
        exclude = ("category",)


class NearbyArgsSchema(PaginationArgsSchema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=-90, max=90), metadata={"description": "degrees"})
    lng = ma.fields.Float(required=True, validate=validate.Range(min=-180, max=180),
                          metadata={"description": "degrees"})
    radius = ma.fields.Float(validate=validate.Range(min=0, max=20_000),
                         metadata={"description": "km: only stores this close (default: any that deliver here)"})


class StoreProductsArgsSchema(ProductQueryArgsSchema):
    """`GET /products`'s parameters (the store is the path's)."""

    class Meta(ProductQueryArgsSchema.Meta):
        exclude = ("store_id",)


class StoreReviewInputSchema(CamelSchema):
    rating = StrictInteger(required=True, validate=validate.Range(min=1, max=5))
    text = ma.fields.String(load_default="", validate=validate.Length(max=5000),
                            metadata={"description": "HTML, cleaned (p, br, strong, em, ul, ol, li, a)"})


class StoreImageFormSchema(ma.Schema):
    image = Upload(required=True, metadata={"description": "JPEG, PNG, WebP or GIF, at most 10 MiB"})


# --------------------------------------------------------------------------- output schemas

class IntervalViewSchema(ma.Schema):
    open = ma.fields.String()
    close = ma.fields.String()


HoursViewSchema = ma.Schema.from_dict(
    {day: ma.fields.List(ma.fields.Nested(IntervalViewSchema)) for day in content.WEEKDAYS},
    name="StoreHoursViewSchema")


class StoreLocationSchema(ma.Schema):
    address = ma.fields.String()
    city = ma.fields.String()
    country = ma.fields.String(allow_none=True)
    latitude = ma.fields.Float(allow_none=True)
    longitude = ma.fields.Float(allow_none=True)
    deliveryRadius = ma.fields.Float(metadata={"description": "km"})


class StoreContactSchema(ma.Schema):
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    email = ma.fields.String(allow_none=True)
    website = ma.fields.String(allow_none=True)


class StoreRatingsSchema(ma.Schema):
    average = ma.fields.Float(metadata={"description": "0-5, 2 decimals; 0 without reviews"})
    count = ma.fields.Integer()


class StoreOffersSchema(ma.Schema):
    cashback = ma.fields.Float(metadata={"description": "percent"})
    discountText = ma.fields.String()
    isPartner = ma.fields.Boolean()


class MoneyViewSchema(ma.Schema):
    amount = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()


class StoreOperationalSchema(ma.Schema):
    hours = ma.fields.Nested(HoursViewSchema)
    timeZone = ma.fields.String()
    isOpenNow = ma.fields.Boolean()
    deliveryTime = ma.fields.String()
    minimumOrder = ma.fields.Nested(MoneyViewSchema)


class StoreSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    slug = ma.fields.String()
    description = ma.fields.String()
    logo = ma.fields.String(allow_none=True, metadata={"description": "URL"})
    banner = ma.fields.String(allow_none=True, metadata={"description": "URL"})
    categoryId = ma.fields.String(allow_none=True)
    location = ma.fields.Nested(StoreLocationSchema)
    contact = ma.fields.Nested(StoreContactSchema)
    ratings = ma.fields.Nested(StoreRatingsSchema)
    offers = ma.fields.Nested(StoreOffersSchema)
    operationalInfo = ma.fields.Nested(StoreOperationalSchema)
    isActive = ma.fields.Boolean()
    distanceKm = ma.fields.Float(metadata={"description": "nearby search only: km from the point"})
    staffIds = ma.fields.List(ma.fields.String(), metadata={"description": "admins and the store's staff only"})
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class StoreEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(StoreSchema)
    message = ma.fields.String()


class StoreListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(StoreSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class StoreReviewSchema(ma.Schema):
    id = ma.fields.String()
    storeId = ma.fields.String()
    userId = ma.fields.String()
    rating = ma.fields.Integer()
    text = ma.fields.String()
    createdAt = ma.fields.String()


class StoreReviewEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(StoreReviewSchema)


class StoreReviewListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(StoreReviewSchema))
    pagination = ma.fields.Nested(PaginationSchema)
