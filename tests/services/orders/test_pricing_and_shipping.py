"""Pricing and shipping rules (services.pricing, services.shipping)."""

import datetime as dt

import pytest

from models.carts import DiscountCode
from services.errors import ValidationFailed
from services.orders import pricing, shipping


def test_totals_add_tax_on_discounted_goods_and_shipping(settings):
    totals = pricing.compute_totals([(2950, 2)], 500, None)
    assert (totals.subtotal, totals.tax, totals.shipping, totals.total) == (5900, 472, 500, 6872)
    assert totals.item_count == 2


def test_empty_cart_has_no_shipping(settings):
    assert pricing.compute_totals([], None, None).total == 0


def test_tax_rounds_half_up(settings):
    # 8% of 1006 = 80.48 -> 80 ; 8% of 1069 = 85.52 -> 86 ; 8% of 1025 = 82.0
    assert pricing.compute_totals([(1006, 1)], 0, None).tax == 80
    assert pricing.compute_totals([(1069, 1)], 0, None).tax == 86
    assert pricing.round_half_up(pricing.Decimal("2.5")) == 3


def test_percentage_and_fixed_discounts_never_exceed_the_subtotal(settings):
    pct = DiscountCode(code="SAVE20", kind="percentage", value=20, active=True, minimum_amount=0)
    fixed = DiscountCode(code="BIG", kind="fixed_amount", value=10_000, active=True, minimum_amount=0)
    assert pricing.discount_amount(pct, 5900) == 1180
    assert pricing.discount_amount(fixed, 5900) == 5900
    totals = pricing.compute_totals([(5900, 1)], 500, pct)
    assert totals.discount == 1180 and totals.tax == 378 and totals.total == 5900 - 1180 + 378 + 500


def test_discounts_respect_minimum_window_and_active_flag(settings):
    future = dt.datetime(2999, 1, 1)
    assert pricing.discount_amount(DiscountCode(kind="percentage", value=10, active=True, minimum_amount=10_000),
                                   5000) == 0
    assert pricing.discount_amount(DiscountCode(kind="percentage", value=10, active=True, minimum_amount=0,
                                                starts_at=future), 5000) == 0
    assert pricing.discount_amount(DiscountCode(kind="percentage", value=10, active=False, minimum_amount=0),
                                   5000) == 0


def test_same_day_is_only_available_in_the_configured_city(db):
    """The default zones (services.orders.shipping_zones) keep the shipping of before zones."""
    methods = {m["id"]: m for m in shipping.shipping_methods({"country": "JO", "city": "amman"})}
    assert methods["same_day"]["available"] is True and methods["standard"]["isDefault"] is True
    methods = {m["id"]: m for m in shipping.shipping_methods({"country": "JO", "city": "Irbid"})}
    assert methods["same_day"]["available"] is False and methods["same_day"]["description"] == "Within Amman only"
    with pytest.raises(ValidationFailed):
        shipping.choose_method("same_day", {"country": "JO", "city": "Irbid"})
    with pytest.raises(ValidationFailed):
        shipping.choose_method("pigeon", {"country": "JO", "city": "Amman"})
    assert shipping.choose_method("express", {"country": "JO", "city": "Irbid"})["price"] == 1000


def test_estimated_delivery_skips_weekends():
    friday = dt.date(2025, 1, 17)
    assert shipping.add_business_days(friday, 1) == dt.date(2025, 1, 20)
    assert shipping.estimated_delivery({"id": "standard"}, friday) == dt.date(2025, 1, 24)
