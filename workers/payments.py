"""Queue `payments`: Process Payment jobs, refunds of cancelled orders and Stripe webhook events."""

from services import fraud, orders, payments  # noqa: F401 - orders and fraud register the Stripe event handlers
from workers.actor import job_actor

process_payment = job_actor("payment", "process_payment", orders.run_payment_job)
refund_payment = job_actor("payment_refund", "refund_payment", orders.run_refund_job)
handle_stripe_event = job_actor("stripe_event", "handle_stripe_event", payments.run_stripe_event_job)
