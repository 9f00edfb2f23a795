"""The notified events (`EVENTS`: one `EventSpec` per event type) and the names shared
by the notification modules: the shop name put in every template context and the
template directories of admin direct and bulk messages."""

from __future__ import annotations

from dataclasses import dataclass

SHOP_NAME = "Cartwheel"


@dataclass(frozen=True)
class EventSpec:
    """How an event is notified: preference `category`, the `channels` it may use, the
    in-app `level` (seed 002 type info|success|warning|error) and its `template` directory."""

    category: str
    channels: tuple
    level: str
    template: str
    description: str
    transactional: bool = False  # account mail: sent whatever the preferences say
    secret: bool = False  # the text carries a secret (a login code): sent, never stored (account_mail.reveal)


EVENTS = {
    "order.placed": EventSpec("orders", ("email", "sms", "in_app"), "success", "order_placed",
                              "Order confirmation to the customer (guests: email)"),
    "order.paid": EventSpec("orders", ("email", "in_app"), "success", "order_paid",
                            "Payment received, with the loyalty points earned"),
    "order.shipped": EventSpec("orders", ("email", "sms", "in_app"), "info", "order_shipped",
                               "Order shipped, with the tracking number"),
    "order.delivered": EventSpec("orders", ("email", "sms", "in_app"), "success", "order_delivered",
                                 "Order delivered"),
    "order.cancelled": EventSpec("orders", ("email", "sms", "in_app"), "warning", "order_cancelled",
                                 "Order cancelled"),
    "order.message": EventSpec("orders", ("email", "sms", "in_app"), "info", "order_message",
                               "A message from staff about the customer's order (POST /orders/{id}/notifications)"),
    "payment.failed": EventSpec("orders", ("email", "sms", "in_app"), "error", "payment_failed",
                                "Payment failed; the order was cancelled"),
    "dispute.opened": EventSpec("orders", ("email", "in_app"), "warning", "dispute_opened",
                                "A customer disputed an order's payment (staff and admins; unshipped: held)"),
    "stock.low": EventSpec("stock", ("email", "in_app"), "warning", "stock_low",
                           "Low stock alert to staff and admins"),
    "purchase_order.created": EventSpec("stock", ("email", "in_app"), "info", "purchase_order_created",
                                        "Auto-reorder created a draft purchase order (staff and admins)"),
    "stock.back_in_stock": EventSpec("wishlist", ("email", "sms", "in_app"), "info", "stock_back_in_stock",
                                     "A variant the customer asked about is available again"),
    "wishlist.price_drop": EventSpec("wishlist", ("email", "in_app"), "info", "wishlist_price_drop",
                                     "A wishlisted product got cheaper"),
    "wishlist.back_in_stock": EventSpec("wishlist", ("email", "sms", "in_app"), "info", "wishlist_back_in_stock",
                                        "A wishlisted product is back in stock"),
    "loyalty.points_reminder": EventSpec("loyalty", ("email", "in_app"), "info", "loyalty_points_reminder",
                                         "Reminder of unused loyalty points"),
    "cart.abandoned": EventSpec("cart", ("email", "in_app"), "info", "cart_abandoned",
                                "Reminder of a cart left with items"),
    "account.verify_email": EventSpec("account", ("email",), "info", "account_verify_email",
                                      "Email address confirmation link", transactional=True),
    "account.password_reset": EventSpec("account", ("email",), "info", "account_password_reset",
                                        "Password reset link (asked for on forgot-password)", transactional=True),
    "account.password_changed": EventSpec("account", ("email",), "warning", "account_password_changed",
                                          "Security notice: the password was changed or reset", transactional=True),
    "account.otp": EventSpec("account", ("sms",), "info", "account_otp",
                             "Login code by SMS (asked for on send-otp)", transactional=True, secret=True),
}
ACCOUNT_EVENTS = ("account.verify_email", "account.password_reset", "account.password_changed", "account.otp")
DIRECT_TEMPLATE = "custom"
BULK_TEMPLATE = "announcement"
ORDER_EVENTS = ("order.placed", "order.paid", "order.shipped", "order.delivered", "order.cancelled",
                "order.message", "payment.failed")

