"""Analytics (issue 10; seeds 001 and 004), staff only, read from the rollup tables
(services.analytics) and never from the orders themselves.

Reports (permission `analytics:read`: staff and admins, as Shopify's Analytics/Reports permission),
each answered with `Cache-Control: private, max-age=60` (figures change when the rollup runs, every
15 minutes for yesterday and today):

- `GET /api/v1/analytics/sales`: orders, units, revenue, average order value, refunds, net revenue,
  video-attributed orders and revenue;
- `GET /api/v1/analytics/revenue`: gross sales, discounts, shipping, tax, revenue, refunds, net revenue;
- `GET /api/v1/orders/analytics` (seed 001's order analytics): orders placed, cancelled, delivered,
  the order completion rate and the statuses;
- `GET /api/v1/analytics/users`: new accounts, customers (new and returning), carts and the cart
  abandonment rate;
- `GET /api/v1/analytics/products?limit=&sort=`: top products and categories, product sales per period;
- `GET /api/v1/analytics/dashboard`: today's and the range's headline figures, the top 5 products,
  the abandonment and completion rates, `computedAt`.

Query: `from`, `to` (ISO dates, both included, UTC; default the 30 days up to today), `interval`
(day | week | month: ISO weeks from Monday, calendar months; default day; a range of at most 366,
731 or 1827 days), `currency` (default the shop's). Money in integer minor units of `currency`.
Each metric is defined in services.analytics.figures (and the rolled-up columns in
services.analytics.rollup).

`POST /api/v1/analytics/rollup` `{from?, to?}` (permission `analytics:rollup`: staff and admins;
default yesterday and today, at most 366 days, none after today): 202 with an `analytics_rollup`
job recomputing those days (idempotent: a day is replaced whole).

Bad input is 422 in the error envelope: `invalid_analytics_query` (malformed parameter),
`analytics_range_reversed` (`from` after `to`), `analytics_range_too_long`, `analytics_future_day`.
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import analytics
from services.errors import ValidationFailed
from web.jobview import documents_job, submit
from web.schemas import CamelSchema, ErrorEnvelopeSchema, ok
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("analytics", __name__, url_prefix="/api/v1",
                description="Analytics (staff): sales, revenue, orders, users, products, dashboard; rollups")

CACHE_CONTROL = "private, max-age=60"
DATES = dict(validate=validate.Range(min=analytics.EARLIEST, max=analytics.LATEST))
BAD_INPUT = ("invalid_analytics_query (malformed parameter), analytics_range_reversed (from after to), "
             "analytics_range_too_long (more days than the interval allows)")
ROLLUP_JOB = ("Rollup job accepted; poll Location. Its result is {from, to, days, orders, computedAt} "
              "(orders: orders placed over those days)")


class AnalyticsArgsBase(CamelSchema):
    """Parameters of the analytics routes; any malformed one is 422 `invalid_analytics_query`."""

    def handle_error(self, error, data, *, many, **kwargs):
        details = []
        for field, messages in sorted(error.normalized_messages().items(), key=lambda item: str(item[0])):
            text = messages if isinstance(messages, str) else "; ".join(str(m) for m in messages) \
                if isinstance(messages, list) else str(messages)
            details.append({"field": "body" if field == "_schema" else str(field), "message": text})
        raise ValidationFailed("Invalid analytics parameters", reason="invalid_analytics_query", details=details)


class AnalyticsDashboardArgsSchema(AnalyticsArgsBase):
    from_ = ma.fields.Date(data_key="from", **DATES,
                           metadata={"description": "first day (UTC, included); default 29 days before `to`"})
    to = ma.fields.Date(**DATES, metadata={"description": "last day (UTC, included); default today"})
    currency = ma.fields.String(validate=validate.Regexp(r"^[A-Za-z]{3}$"),
                                metadata={"description": "ISO 4217; default the shop currency"})


class AnalyticsQueryArgsSchema(AnalyticsDashboardArgsSchema):
    interval = ma.fields.String(load_default="day", validate=validate.OneOf(analytics.INTERVALS), metadata={
        "description": "day | week (ISO, from Monday) | month; at most 366, 731 or 1827 days"})


class AnalyticsProductsArgsSchema(AnalyticsQueryArgsSchema):
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=analytics.MAX_LIMIT),
                              metadata={"description": "top products and categories listed (1..100)"})
    sort = ma.fields.String(load_default="revenue", validate=validate.OneOf(analytics.SORTS),
                            metadata={"description": "rank by revenue | units | orders"})


class AnalyticsRollupSchema(AnalyticsArgsBase):
    """Days to recompute (both included, UTC; at most 366, none after today)."""

    from_ = ma.fields.Date(data_key="from", **DATES, metadata={"description": "default the day before `to`"})
    to = ma.fields.Date(**DATES, metadata={"description": "default today"})


# --------------------------------------------------------------------------- response schemas

MONEY = {"description": "minor units of currency"}
RATE = {"description": "fraction 0..1 (4 places); null when there is nothing to divide by"}


def _money():
    return ma.fields.Integer(metadata=MONEY)


def _rate():
    return ma.fields.Float(allow_none=True, metadata=RATE)


class ReportMetaSchema(ma.Schema):
    currency = ma.fields.String()
    from_ = ma.fields.String(data_key="from", metadata={"description": "first day (ISO date, UTC)"})
    to = ma.fields.String(metadata={"description": "last day (ISO date, UTC)"})
    interval = ma.fields.String(metadata={"description": "day | week | month"})
    computedAt = ma.fields.String(allow_none=True, metadata={"description": "latest rollup of the range's days"})
    daysComputed = ma.fields.Integer(metadata={"description": "days of the range that were rolled up"})


class PeriodSchema(ma.Schema):
    period = ma.fields.String(metadata={"description": "the day, the ISO week's Monday or the month's first day"})
    start = ma.fields.String(metadata={"description": "first day of the range in the period"})
    end = ma.fields.String(metadata={"description": "last day of the range in the period"})


class SalesFiguresSchema(ma.Schema):
    orders = ma.fields.Integer(metadata={"description": "orders placed and not cancelled"})
    units = ma.fields.Integer()
    revenue = ma.fields.Integer(metadata={"description": "SUM(order total) of those orders, minor units"})
    averageOrderValue = ma.fields.Integer(metadata={"description": "revenue / orders, rounded half up"})
    refunds = ma.fields.Integer(metadata={"description": "succeeded refunds created in the period, minor units"})
    refundCount = ma.fields.Integer()
    netRevenue = ma.fields.Integer(metadata={"description": "revenue - refunds"})
    videoOrders = ma.fields.Integer(metadata={"description": "those orders with a line added from a shoppable video"})
    videoRevenue = ma.fields.Integer(metadata={"description": "SUM(line total) of the lines added from a video, "
                                                              "minor units"})


class SalesPointSchema(PeriodSchema, SalesFiguresSchema):
    pass


class SalesReportSchema(ReportMetaSchema):
    totals = ma.fields.Nested(SalesFiguresSchema)
    series = ma.fields.List(ma.fields.Nested(SalesPointSchema))


class SalesReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SalesReportSchema)


class RevenueFiguresSchema(ma.Schema):
    orders = ma.fields.Integer()
    grossSales = ma.fields.Integer(metadata={"description": "SUM(subtotal): goods before discounts"})
    discounts = _money()
    shipping = _money()
    tax = _money()
    revenue = ma.fields.Integer(metadata={"description": "SUM(total) of the non-cancelled orders"})
    refunds = _money()
    netRevenue = ma.fields.Integer(metadata={"description": "revenue - refunds"})
    averageOrderValue = _money()


class RevenuePointSchema(PeriodSchema, RevenueFiguresSchema):
    pass


class RevenueReportSchema(ReportMetaSchema):
    totals = ma.fields.Nested(RevenueFiguresSchema)
    series = ma.fields.List(ma.fields.Nested(RevenuePointSchema))


class RevenueReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RevenueReportSchema)


class OrderFiguresSchema(ma.Schema):
    ordersPlaced = ma.fields.Integer(metadata={"description": "every order placed, cancelled ones too"})
    orders = ma.fields.Integer(metadata={"description": "placed and not cancelled"})
    cancelledOrders = ma.fields.Integer()
    deliveredOrders = ma.fields.Integer()
    orderCompletionRate = ma.fields.Float(allow_none=True, metadata={"description": "deliveredOrders / ordersPlaced"})
    statuses = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "orders placed in the period per current status"})
    revenue = _money()
    averageOrderValue = _money()
    units = ma.fields.Integer()


class OrderPointSchema(PeriodSchema, OrderFiguresSchema):
    pass


class OrderReportSchema(ReportMetaSchema):
    totals = ma.fields.Nested(OrderFiguresSchema)
    series = ma.fields.List(ma.fields.Nested(OrderPointSchema))


class OrderReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(OrderReportSchema)


class UserFiguresSchema(ma.Schema):
    newAccounts = ma.fields.Integer(metadata={"description": "customer accounts registered"})
    customers = ma.fields.Integer(metadata={"description": "distinct customers with a non-cancelled order"})
    newCustomers = ma.fields.Integer(metadata={"description": "their first order ever was in the period"})
    returningCustomers = ma.fields.Integer(metadata={"description": "they had ordered before the period"})
    cartsCreated = ma.fields.Integer()
    cartsWithItems = ma.fields.Integer()
    cartsConverted = ma.fields.Integer()
    cartsAbandoned = ma.fields.Integer(metadata={"description": "created with items and not converted"})
    cartAbandonmentRate = ma.fields.Float(allow_none=True, metadata={"description": "cartsAbandoned / cartsWithItems"})


class UserPointSchema(PeriodSchema, UserFiguresSchema):
    pass


class UserReportSchema(ReportMetaSchema):
    totals = ma.fields.Nested(UserFiguresSchema)
    series = ma.fields.List(ma.fields.Nested(UserPointSchema))


class UserReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(UserReportSchema)


class RankedProductSchema(ma.Schema):
    productId = ma.fields.String()
    name = ma.fields.String()
    categoryId = ma.fields.String(allow_none=True)
    units = ma.fields.Integer()
    orders = ma.fields.Integer()
    revenue = ma.fields.Integer(metadata={"description": "line totals (before order discounts), minor units"})


class RankedCategorySchema(ma.Schema):
    categoryId = ma.fields.String(allow_none=True, metadata={"description": "null: products without a category"})
    name = ma.fields.String()
    units = ma.fields.Integer()
    orders = ma.fields.Integer()
    revenue = _money()


class ProductSalesSchema(ma.Schema):
    units = ma.fields.Integer()
    revenue = ma.fields.Integer(metadata={"description": "line totals of every product, minor units"})


class ProductSalesPointSchema(PeriodSchema, ProductSalesSchema):
    pass


class ProductReportSchema(ReportMetaSchema):
    products = ma.fields.List(ma.fields.Nested(RankedProductSchema))
    categories = ma.fields.List(ma.fields.Nested(RankedCategorySchema))
    totals = ma.fields.Nested(ProductSalesSchema)
    series = ma.fields.List(ma.fields.Nested(ProductSalesPointSchema))


class ProductReportEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ProductReportSchema)


class HeadlineSchema(ma.Schema):
    orders = ma.fields.Integer()
    revenue = _money()
    averageOrderValue = _money()
    units = ma.fields.Integer()
    refunds = _money()
    netRevenue = _money()
    newCustomers = ma.fields.Integer()
    returningCustomers = ma.fields.Integer()
    cartAbandonmentRate = _rate()
    orderCompletionRate = _rate()


class TodayHeadlineSchema(HeadlineSchema):
    date = ma.fields.String(metadata={"description": "today (UTC)"})


class DashboardSchema(ma.Schema):
    currency = ma.fields.String()
    from_ = ma.fields.String(data_key="from")
    to = ma.fields.String()
    computedAt = ma.fields.String(allow_none=True, metadata={"description": "latest rollup of the range or today"})
    daysComputed = ma.fields.Integer()
    currencies = ma.fields.List(ma.fields.String(), metadata={"description": "currencies with figures in the range"})
    today = ma.fields.Nested(TodayHeadlineSchema)
    range_ = ma.fields.Nested(HeadlineSchema, data_key="range")
    topProducts = ma.fields.List(ma.fields.Nested(RankedProductSchema), metadata={"description": "5, by revenue"})
    cartAbandonmentRate = _rate()
    orderCompletionRate = _rate()


class DashboardEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(DashboardSchema)


# --------------------------------------------------------------------------- views

def cacheable(response):
    """`response` with the reports' caching headers (private: per caller; 60 s)."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers.add("Vary", "Authorization")
    return response


def _range(args: dict) -> tuple[dt.date | None, dt.date | None]:
    return args.get("from_"), args.get("to")


def _series(build, args: dict) -> dict:
    return build(*_range(args), args["interval"], args.get("currency"))


@blp.route("/analytics/sales")
class AnalyticsSales(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsQueryArgsSchema, location="query")
    @blp.response(200, SalesReportEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Sales per day, week or month: orders, units, revenue, average order value, refunds (staff)."""
        return cacheable(ok(_series(analytics.sales_report, args)))


@blp.route("/analytics/revenue")
class AnalyticsRevenue(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsQueryArgsSchema, location="query")
    @blp.response(200, RevenueReportEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Revenue per period: gross sales, discounts, shipping, tax, revenue, refunds, net revenue (staff)."""
        return cacheable(ok(_series(analytics.revenue_report, args)))


@blp.route("/orders/analytics")
class OrderAnalytics(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsQueryArgsSchema, location="query")
    @blp.response(200, OrderReportEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Order analytics per period: placed, cancelled, delivered, completion rate, statuses (staff)."""
        return cacheable(ok(_series(analytics.order_report, args)))


@blp.route("/analytics/users")
class AnalyticsUsers(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsQueryArgsSchema, location="query")
    @blp.response(200, UserReportEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Customer behaviour per period: new accounts, new and returning customers, cart abandonment (staff)."""
        return cacheable(ok(_series(analytics.user_report, args)))


@blp.route("/analytics/products")
class AnalyticsProducts(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsProductsArgsSchema, location="query")
    @blp.response(200, ProductReportEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Product performance: top products and categories, and product sales per period (staff)."""
        return cacheable(ok(analytics.product_report(*_range(args), args["interval"], args.get("currency"),
                                                     limit=args["limit"], sort=args["sort"])))


@blp.route("/analytics/dashboard")
class AnalyticsDashboard(MethodView):
    @checked(require_staff)
    @blp.arguments(AnalyticsDashboardArgsSchema, location="query")
    @blp.response(200, DashboardEnvelopeSchema)
    @blp.alt_response(422, schema=ErrorEnvelopeSchema, description=BAD_INPUT)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """The admin dashboard: today's and the range's headline figures, top 5 products, rates (staff)."""
        return cacheable(ok(analytics.dashboard(*_range(args), args.get("currency"))))


@blp.route("/analytics/rollup")
class AnalyticsRollup(MethodView):
    @documents_job(blp, ROLLUP_JOB)
    @checked(require_staff)
    @blp.arguments(AnalyticsRollupSchema, required=False)  # no body: yesterday and today
    @blp.alt_response(422, schema=ErrorEnvelopeSchema,
                      description="invalid_analytics_query, analytics_range_reversed, analytics_range_too_long "
                                  "(over 366 days), analytics_future_day")
    def post(self, body):
        """Recompute the analytics rollup for a range of days (a bulk job; staff)."""
        user = require_staff()
        first, last = analytics.rollup_range(*_range(body))  # 422 before any job is written
        return submit(lambda: analytics.start_rollup(first, last, owner_id=user.id))
