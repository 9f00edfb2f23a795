"""Shipping zones (staff, `shipping:manage`) and the delivery dates a customer may book.

- `GET /api/v1/shipping/zones`: every zone, most specific first (services.orders.shipping_zones);
- `POST /api/v1/shipping/zones` `{name, countries, cities?, methods: [{id, name?, description?,
  price, freeShippingThreshold?, weightRates?: [{upToGrams, price}]}]}` (201); money in minor
  units, weights in grams;
- `GET|PUT|DELETE /api/v1/shipping/zones/{zoneId}`: PUT changes the fields given (`methods`
  replaces them all); DELETE refuses the last zone (409 `shipping_zone_last`);
- `GET /api/v1/shipping/delivery-dates?limit=`: the next dates a delivery can be booked for
  (services.orders.delivery_dates), for checkout's optional `deliveryDate`.

Quotes for a cart and address: `POST /api/v1/checkout/shipping` (web.checkout).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import orders
from web.schemas import CamelSchema, MessageSchema, StrictInteger, ok
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("shipping", __name__, url_prefix="/api/v1/shipping", description="Shipping zones and delivery dates")

TRIMMED = validate.Regexp(r"^\S(?:.*\S)?$", error="no leading or trailing spaces")
COUNTRY = validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2")
METHOD_ID = validate.Regexp(r"^[a-z][a-z0-9_]{0,29}$", error="lower-case letters, digits and _")
MONEY = dict(validate=validate.Range(min=0, max=100_000_000), metadata={"description": "minor units"})


class WeightRateSchema(CamelSchema):
    up_to_grams = StrictInteger(required=True, validate=validate.Range(min=1, max=10_000_000),
                                metadata={"description": "grams: carts weighing at most this"})
    price = StrictInteger(required=True, **MONEY)


class ZoneMethodSchema(CamelSchema):
    id = ma.fields.String(required=True, validate=METHOD_ID,
                          metadata={"description": "standard, express, same_day or the shop's own"})
    name = ma.fields.String(allow_none=True, validate=[validate.Length(min=1, max=100), TRIMMED],
                            metadata={"description": "null: the built-in method's name (else the id)"})
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    price = StrictInteger(required=True, validate=validate.Range(min=0, max=100_000_000),
                          metadata={"description": "minor units; the flat price when weightRates is empty"})
    free_threshold = StrictInteger(data_key="freeShippingThreshold", allow_none=True,
                                   validate=validate.Range(min=0, max=100_000_000),
                                   metadata={"description": "minor units: free at or above this goods subtotal; "
                                                            "null: never"})
    weight_rates = ma.fields.List(ma.fields.Nested(WeightRateSchema), validate=validate.Length(max=50),
                                  metadata={"description": "by cart weight; heavier than every bracket: unavailable"})


class ZoneUpdateSchema(CamelSchema):
    name = ma.fields.String(validate=[validate.Length(min=1, max=100), TRIMMED])
    countries = ma.fields.List(ma.fields.String(validate=COUNTRY), validate=validate.Length(min=1, max=250))
    cities = ma.fields.List(ma.fields.String(validate=[validate.Length(min=1, max=100), TRIMMED]),
                            validate=validate.Length(max=500),
                            metadata={"description": "empty: every city of the countries; else only these"})
    methods = ma.fields.List(ma.fields.Nested(ZoneMethodSchema), validate=validate.Length(min=1, max=20))


class ZoneInputSchema(ZoneUpdateSchema):
    name = ma.fields.String(required=True, validate=[validate.Length(min=1, max=100), TRIMMED])
    countries = ma.fields.List(ma.fields.String(validate=COUNTRY), required=True,
                               validate=validate.Length(min=1, max=250))
    methods = ma.fields.List(ma.fields.Nested(ZoneMethodSchema), required=True,
                             validate=validate.Length(min=1, max=20))


class WeightRateViewSchema(ma.Schema):
    upToGrams = ma.fields.Integer()
    price = ma.fields.Integer(metadata={"description": "minor units"})


class ZoneMethodViewSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    description = ma.fields.String(allow_none=True)
    price = ma.fields.Integer(metadata={"description": "minor units"})
    freeShippingThreshold = ma.fields.Integer(allow_none=True, metadata={"description": "minor units"})
    weightRates = ma.fields.List(ma.fields.Nested(WeightRateViewSchema))


class ZoneSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    countries = ma.fields.List(ma.fields.String())
    cities = ma.fields.List(ma.fields.String())
    methods = ma.fields.List(ma.fields.Nested(ZoneMethodViewSchema))
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class ZoneEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ZoneSchema)


class ZoneListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ZoneSchema))


@blp.route("/zones")
class ShippingZones(MethodView):
    @checked(require_staff)
    @blp.response(200, ZoneListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List shipping zones, most specific first (staff)."""
        return ok([orders.zone_view(zone) for zone in orders.list_zones()])

    @checked(require_staff)
    @blp.arguments(ZoneInputSchema)
    @blp.response(201, ZoneEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Add a shipping zone with its countries, cities and methods (staff)."""
        return ok(orders.zone_view(orders.create_zone(body)), 201)


@blp.route("/zones/<id(shz):zone_id>")
class ShippingZoneById(MethodView):
    @checked(require_staff)
    @blp.response(200, ZoneEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, zone_id):
        """Get a shipping zone (staff)."""
        return ok(orders.zone_view(orders.get_zone(zone_id)))

    @checked(require_staff)
    @blp.arguments(ZoneUpdateSchema)
    @blp.response(200, ZoneEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, zone_id):
        """Change a shipping zone; `methods` replaces its methods (staff)."""
        return ok(orders.zone_view(orders.update_zone(zone_id, body)))

    @checked(require_staff)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, zone_id):
        """Delete a shipping zone, unless it is the last one (staff)."""
        orders.delete_zone(zone_id)
        return {"message": "Shipping zone deleted"}


class DeliveryDatesArgsSchema(CamelSchema):
    limit = ma.fields.Integer(load_default=14, validate=validate.Range(min=1, max=366),
                              metadata={"description": "at most this many dates"})


class DeliveryCalendarSchema(ma.Schema):
    dates = ma.fields.List(ma.fields.String(), metadata={"description": "ISO dates, soonest first"})
    timeZone = ma.fields.String(metadata={"description": "IANA time zone of the shop's calendar"})
    cutoffTime = ma.fields.String(metadata={"description": "HH:MM shop time: after it, today is not bookable"})
    deliveryDays = ma.fields.List(ma.fields.String(), metadata={"description": "mon ... sun"})
    horizonDays = ma.fields.Integer(metadata={"description": "days after today a date may be booked"})


class DeliveryCalendarEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(DeliveryCalendarSchema)


@blp.route("/delivery-dates")
class DeliveryDates(MethodView):
    @blp.arguments(DeliveryDatesArgsSchema, location="query")
    @blp.response(200, DeliveryCalendarEnvelopeSchema)
    def get(self, args):
        """List the next dates a delivery can be booked for (checkout's `deliveryDate`)."""
        return ok(orders.delivery_calendar(args["limit"]))
