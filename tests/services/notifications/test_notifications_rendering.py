"""Notification templates: every event renders (subject, text, HTML, short), HTML is
autoescaped, text is not, money is formatted by currency exponent, and a broken
template is a non-retried template_error. Channel choice follows preferences."""

from __future__ import annotations

import pytest

from services import notifications
from services.errors import DomainError

ORDER = {"id": "ord_1", "number": "SKN-2025-000042", "status": "confirmed", "paymentStatus": "pending",
         "paymentMethod": "cash_on_delivery", "subtotal": 5900, "tax": 472, "shipping": 500, "discount": 0,
         "total": 6872, "currency": "USD", "trackingNumber": "1Z999", "shippingMethod": "Standard",
         "items": [{"name": "Serum <Vit C>", "variant": "30 ml", "quantity": 2, "totalPrice": 5900}]}

CONTEXTS = {
    "order_placed": {"order": ORDER},
    "order_paid": {"order": ORDER, "pointsEarned": 59, "pointsBalance": 120},
    "order_shipped": {"order": ORDER},
    "order_delivered": {"order": ORDER},
    "order_cancelled": {"order": ORDER},
    "order_message": {"order": ORDER, "data": {"subject": "Your <bouquet>", "message": "Delivery moves to 3 pm."}},
    "payment_failed": {"order": ORDER, "data": {"reason": "card_declined"}},
    "stock_low": {"variant": {"id": "var_1", "name": "30 ml", "sku": "SER-30"}, "product": {"name": "Serum"},
                  "quantity": 3, "threshold": 10},
    "wishlist_price_drop": {"product": {"name": "Brie", "price": 900, "currency": "USD"},
                            "data": {"oldPrice": 1200, "newPrice": 900}},
    "wishlist_back_in_stock": {"product": {"name": "Brie"}},
    "stock_back_in_stock": {"product": {"name": "Serum"}, "variant": {"id": "var_1", "name": "30 ml"}},
    "purchase_order_created": {"purchaseOrder": {"number": "PO-2026-000001", "supplier": "Dairy Co",
                                                 "warehouse": "Default", "expectedAt": "2026-12-09",
                                                 "lines": [{"quantity": 30, "product": "Brie", "variant": "250 g",
                                                            "sku": "BRIE-250"}]}},
    "dispute_opened": {"order": ORDER, "dispute": {"id": "dsp_1", "stripeId": "dp_1", "amount": 6872,
                                                   "currency": "USD", "reason": "fraudulent",
                                                   "status": "needs_response", "evidenceDueBy": "2026-12-20T00:00:00Z",
                                                   "held": True}},
    "loyalty_points_reminder": {"points": 240},
    "cart_abandoned": {"cart": {"items": [{"name": "Brie", "quantity": 2}]}},
    "custom": {"subject": "Hello", "message": "Line one\n\nLine two"},
    "announcement": {"subject": "Hours", "message": "Closed Friday"},
    "account_verify_email": {"account": {"link": "https://shop.test/verify-email?token=act_1.sig",
                                          "validMinutes": 1440}},
    "account_password_reset": {"account": {"link": "https://shop.test/reset-password?token=act_2.sig",
                                            "validMinutes": 30}},
    "account_password_changed": {"account": {"changedAt": "2026-12-01T10:00:00.000Z", "how": "changed"}},
    "account_otp": {"otp": {"challengeId": "otp_1", "code": "042917", "expiresInMinutes": 5}},
}


def base(extra):
    return {"shopName": "Cartwheel", "recipientName": "Ana", "data": {}, **extra}


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_every_template_renders_all_parts(template):
    rendered = notifications.render(template, base(CONTEXTS[template]))
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.short
    assert rendered.html.startswith("<!DOCTYPE html>") and "</html>" in rendered.html


def test_every_event_has_a_template_directory():
    names = {t["name"] for t in notifications.list_templates()}
    assert {spec.template for spec in notifications.EVENTS.values()} <= names
    assert set(CONTEXTS) == names


def test_a_dispute_notice_gives_the_amount_the_reason_and_the_hold():
    rendered = notifications.render("dispute_opened", base(CONTEXTS["dispute_opened"]))
    assert rendered.subject == "Payment disputed: order SKN-2025-000042 (68.72 USD)"
    assert '"fraudulent"' in rendered.text and "it is on hold" in rendered.text
    assert "2026-12-20T00:00:00Z" in rendered.short


def test_a_purchase_order_notice_lists_its_lines():
    rendered = notifications.render("purchase_order_created", base(CONTEXTS["purchase_order_created"]))
    assert rendered.subject == "Purchase order PO-2026-000001 drafted for Dairy Co"
    assert "- 30 x Brie / 250 g (SKU BRIE-250)" in rendered.text and "(expected 2026-12-09)" in rendered.text
    assert "30 &times; Brie / 250 g" in rendered.html


def test_html_is_autoescaped_and_text_is_not():
    rendered = notifications.render("order_placed", base(CONTEXTS["order_placed"]))
    assert "Serum &lt;Vit C&gt;" in rendered.html and "<Vit C>" not in rendered.html
    assert "Serum <Vit C> (30 ml) x 2: 59.00 USD" in rendered.text
    assert "Total: 68.72 USD" in rendered.text and "You will pay 68.72 USD on delivery." in rendered.text
    assert rendered.subject == "Order SKN-2025-000042 confirmed"


def test_money_uses_the_currency_exponent():
    money = notifications.template_env().filters["money"]
    assert money(6872, "USD") == "68.72 USD"
    assert money(12345, "JOD") == "12.345 JOD"
    assert money(1500, "JPY") == "1500 JPY"
    assert money(-5, "EUR") == "-0.05 EUR"


def test_payment_failed_mentions_the_reason_only_when_given():
    with_reason = notifications.render("payment_failed", base(CONTEXTS["payment_failed"]))
    without = notifications.render("payment_failed", base({"order": ORDER}))
    assert "failed: card_declined." in with_reason.text and "failed." in without.text


def test_a_missing_variable_or_template_is_a_template_error():
    with pytest.raises(DomainError) as missing_var:
        notifications.render("order_placed", base({}))
    assert missing_var.value.reason == "template_error"
    with pytest.raises(DomainError) as missing_template:
        notifications.render("no_such_template", base({}))
    assert missing_template.value.reason == "template_error"


class FakeUser:
    def __init__(self, phone=None):
        self.id = "usr_1"
        self.phone = phone


def prefs(email=True, sms=False, in_app=True, **categories):
    return {"channels": {"email": email, "sms": sms, "in_app": in_app},
            "categories": {**notifications.DEFAULT_CATEGORIES, **categories}}


def test_channels_follow_channel_and_category_switches_and_need_an_address():
    every = ("email", "sms", "in_app")
    assert notifications.channels_for(FakeUser("+15557654321"), every, "orders", prefs()) == ["email", "in_app"]
    assert notifications.channels_for(FakeUser("+15557654321"), every, "orders", prefs(sms=True)) == \
        ["email", "sms", "in_app"]
    assert notifications.channels_for(FakeUser(None), every, "orders", prefs(sms=True)) == ["email", "in_app"]
    assert notifications.channels_for(FakeUser("0791"), every, "orders", prefs(sms=True)) == ["email", "in_app"]
    assert notifications.channels_for(FakeUser(), every, "orders", prefs(email=False)) == ["in_app"]
    assert notifications.channels_for(FakeUser(), every, "orders", prefs(orders=False)) == []
    assert notifications.channels_for(FakeUser(), every, "marketing", prefs()) == []  # marketing is opt-in
    assert notifications.channels_for(FakeUser(), ("email",), "marketing", prefs(marketing=True)) == ["email"]
