"""Orders: carts and their totals, shipping methods, checkout (the `checkout` job), order
numbering, reads, the order state machine, paying for an order (the `payment` job and
Stripe's view applied to the order), giving the money back on cancelled orders (the
`payment_refund` job and the order's refunds), live order updates and cart upkeep.

Modules: `carts`, `pricing`, `shipping`, `checkout`, `numbering`, `reads`, `transitions`,
`payment_flow`, `refunds`, `live`, `cart_upkeep`, `promotions` (promotion codes on carts and
orders), `promotion_admin` (managing them), `promotion_scope`, `timeline` (tracking), `deliveries` (couriers),
`cancellation` (a customer cancelling), `manual_refunds` (staff refunds), `shipping_zones` (where the
shop ships, managed by staff), `delivery_dates` (the delivery day a customer books), `one_click`
(one-click checkout), `delivery_proofs` (proof-of-delivery photos), `recipe_cart` (a recipe's
products scaled into a cart), `disputes` (Stripe disputes:
recorded, holding the order, read by staff), `wallet_payments` (paying with the customer's wallet,
alone or with a card, and wallet money given back). Importing this package registers the handlers of
Stripe's `payment_intent.*` events (`payment_flow`) and `charge.dispute.*` events (`disputes`).
"""

from services.orders.cart_upkeep import abandoned_cart_reminders, expire_carts
from services.orders.carts import (CartLine, add_to_cart, cart_totals, cart_view, check_quantity, clear_cart,
                                   create_cart, customization_problems, discount_for, ensure_writable, get_cart,
                                   load_lines, lock_cart, my_cart, remove_cart_item, update_cart_item,
                                   variant_quantities)
from services.orders.cart_live import customer_cart_channel, customer_cart_states
from services.orders.cart_merge import merge_guest_cart
from services.orders.cancellation import cancel_by_customer
from services.orders.delivery_proofs import PROOF_MAX_BYTES, proof_file, store_proof
from services.orders.disputes import (dispute_view, get_dispute, handle_dispute_event, list_disputes, order_disputes,
                                     record_dispute, release_dispute_hold)
from services.orders.deliveries import assign_courier, delivery_view, list_deliveries, update_delivery
from services.orders.timeline import tracking_view
from services.orders.manual_refunds import start_refund
from services.orders.checkout import PAYMENT_METHODS, place_order, run_checkout_job, start_checkout
from services.orders.live import (ALL_ORDERS_CHANNEL, customer_orders_channel, order_channel, order_status_view,
                                  publish_order_changed)
from services.orders.numbering import next_order_number
from services.orders.one_click import start_one_click
from services.orders.payment_flow import (run_intent_job, run_payment_job, start_intent, start_payment,
                                         sync_payment_intent)
from services.orders.promotion_admin import create_promo, delete_promo, get_promo, list_promos, promo_view, update_promo
from services.orders.promotions import apply_code, eligible_codes, remove_code, validate_code
from services.orders.cashback import cashback_view, run_cashback_job, settle as settle_cashback
from services.orders.pricing import Totals, compute_totals, discount_amount, round_half_up, unit_price
from services.orders.reads import get_order, list_orders, order_view
from services.orders.recipe_cart import SKIP_REASONS as RECIPE_SKIP_REASONS
from services.orders.recipe_cart import add_recipe_to_cart
from services.orders.reasons import REASONS
from services.orders.refunds import (payment_settlement, refund_cancelled_order, refund_late_payment, refund_view,
                                     run_refund_job)
from services.orders.shipping import METHODS as SHIPPING_METHODS
from services.orders.shipping import (NOT_SERVICEABLE, Parcel, add_business_days, choose_method, estimated_delivery,
                                     parcel, quote_shipping, shipping_methods)
from services.orders.store_fulfillment import update_part as update_store_fulfillment
from services.orders.store_order_reads import store_order_view, store_orders
from services.orders.shipping_zones import create_zone, delete_zone, get_zone, list_zones, update_zone, zone_view
from services.orders.delivery_dates import check_delivery_date, delivery_calendar
from services.orders.transitions import (STATUS_TRANSITIONS, anonymise_customer_orders, cancel_for_fraud,
                                         confirm_order, hold_for_dispute, hold_for_review, mark_paid,
                                         mark_payment_failed, mark_payment_processing, mark_payment_voided,
                                         mark_refunded, release_hold, request_refund, update_status)

__all__ = [
    "update_store_fulfillment", "store_order_view", "store_orders",
    "NOT_SERVICEABLE", "Parcel", "check_delivery_date", "create_zone", "delete_zone", "delivery_calendar",
    "get_zone", "list_zones", "parcel", "quote_shipping", "update_zone", "zone_view",
    "ALL_ORDERS_CHANNEL", "PAYMENT_METHODS", "REASONS", "SHIPPING_METHODS", "STATUS_TRANSITIONS", "CartLine",
    "Totals", "abandoned_cart_reminders", "add_business_days", "add_to_cart", "anonymise_customer_orders",
    "cancel_for_fraud", "cart_totals",
    "cart_view", "check_quantity", "choose_method", "clear_cart", "compute_totals", "confirm_order", "create_cart",
    "customer_orders_channel", "discount_amount", "discount_for", "ensure_writable", "estimated_delivery",
    "customer_cart_channel", "customer_cart_states", "expire_carts", "get_cart", "merge_guest_cart", "my_cart",
    "get_order", "hold_for_review", "list_orders", "load_lines", "lock_cart",
    "mark_paid", "mark_payment_failed", "mark_payment_processing", "mark_payment_voided", "mark_refunded",
    "next_order_number", "order_channel", "order_status_view", "order_view", "payment_settlement", "place_order",
    "publish_order_changed", "refund_cancelled_order", "refund_late_payment", "refund_view", "release_hold",
    "remove_cart_item", "request_refund", "round_half_up", "run_checkout_job", "run_payment_job", "run_refund_job",
    "cashback_view", "run_cashback_job", "settle_cashback",
    "shipping_methods", "start_checkout", "start_payment", "sync_payment_intent", "update_cart_item",
    "update_status", "customization_problems", "unit_price", "variant_quantities",
    "apply_code", "create_promo", "delete_promo", "eligible_codes", "get_promo", "list_promos", "promo_view",
    "remove_code", "update_promo", "validate_code", "cancel_by_customer", "assign_courier", "delivery_view",
    "list_deliveries", "update_delivery", "tracking_view", "start_refund", "run_intent_job", "start_intent",
    "PROOF_MAX_BYTES", "proof_file", "store_proof",
    "start_one_click",
    "dispute_view", "get_dispute", "handle_dispute_event", "list_disputes", "order_disputes", "record_dispute",
    "release_dispute_hold", "hold_for_dispute",
    "RECIPE_SKIP_REASONS", "add_recipe_to_cart",
]
