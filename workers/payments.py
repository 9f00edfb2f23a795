"""Queue `payments`: Process Payment jobs, PaymentIntents, refunds of cancelled orders, Stripe webhook
events, saved payment methods (SetupIntents, saving and detaching cards), wallet payouts of approved
withdrawals, earn rewards paid into wallets and partner cashback (credits and reversals)."""

from services import fraud, orders, payments, wallet  # noqa: F401 - orders and fraud register the Stripe event handlers
from workers.actor import job_actor

process_payment = job_actor("payment", "process_payment", orders.run_payment_job)
refund_payment = job_actor("payment_refund", "refund_payment", orders.run_refund_job)
handle_stripe_event = job_actor("stripe_event", "handle_stripe_event", payments.run_stripe_event_job)
create_payment_intent = job_actor("payment_intent", "create_payment_intent", orders.run_intent_job)
setup_payment_method = job_actor("payment_setup", "setup_payment_method", payments.run_setup_job)
save_payment_method = job_actor("payment_method_save", "save_payment_method", payments.run_save_job)
detach_payment_method = job_actor("payment_method_detach", "detach_payment_method", payments.run_detach_job)
pay_out_withdrawal = job_actor("wallet_payout", "pay_out_withdrawal", wallet.run_payout_job)
pay_earn_reward = job_actor("earn_reward", "pay_earn_reward", wallet.run_reward_job)
settle_cashback = job_actor("cashback", "settle_cashback", orders.run_cashback_job)
