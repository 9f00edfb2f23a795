"""Saved payment methods (seed 001 `GET/POST /payments/methods`, seed 004 `savePaymentMethod`):
a Stripe Customer per customer and the cards attached to it.

Saving a card, as Stripe recommends: `start_setup` writes a `payment_setup` job that creates
the customer's Stripe Customer (once) and a SetupIntent; the storefront confirms it with its
client secret (Stripe.js collects the card), then `start_save` writes a `payment_method_save`
job with the SetupIntent (or a PaymentMethod id) that attaches the card to the customer and
stores it. Stripe calls run in jobs (fixed idempotency keys, services.payments.stripe_customers);
reading, choosing the default and deleting are local (a deletion detaches the card at Stripe in
a `payment_method_detach` job, written in the same transaction).

The default: a customer's first saved card is their default; `set_default` moves it; deleting
the default makes the most recently saved remaining card the default (as Shopify's customer
payment methods do). At most one default per customer: every change locks the customer's row.
"""

from __future__ import annotations

from models.db import atomic, is_postgres, utcnow
from models.jobs import Job
from models.payment_methods import SavedPaymentMethod, StripeCustomer
from models.users import User
from services.errors import Conflict, NotFound, PaymentFailed, ValidationFailed
from services.payments import stripe_customers
from services.payments.intents import plain
from services.platform import jobs

MAX_SAVED_METHODS = 10  # per customer (Stripe has no limit; a storefront lists a handful)


def _lock_customer(user_id: str) -> None:
    query = User.select(User.id).where(User.id == user_id)
    (query.for_update() if is_postgres() else query).first()


def method_view(method: SavedPaymentMethod) -> dict:
    """`{"id", "type": "card", "brand", "last4", "expMonth", "expYear", "isDefault", "createdAt"}`."""
    return {"id": method.id, "type": "card", "brand": method.brand, "last4": method.last4,
            "expMonth": method.exp_month, "expYear": method.exp_year, "isDefault": method.is_default,
            "createdAt": method.created_at}


def list_methods(user: User) -> list[SavedPaymentMethod]:
    """The customer's saved cards, the default first, then the newest."""
    return list(SavedPaymentMethod.select().where(SavedPaymentMethod.user == user.id)
                .order_by(SavedPaymentMethod.is_default.desc(), SavedPaymentMethod.created_at.desc(),
                          SavedPaymentMethod.id))


def own_method(user_id: str, method_id: str) -> SavedPaymentMethod:
    """Customer `user_id`'s saved method. Raises NotFound (404 `payment_method_not_found`, also
    for another customer's)."""
    method = SavedPaymentMethod.get_or_none(SavedPaymentMethod.id == method_id, SavedPaymentMethod.user == user_id)
    if method is None:
        raise NotFound("Payment method not found", reason="payment_method_not_found")
    return method


def default_method(user_id: str) -> SavedPaymentMethod | None:
    return SavedPaymentMethod.get_or_none(SavedPaymentMethod.user == user_id, SavedPaymentMethod.is_default)


def stripe_customer_id(user_id: str) -> str | None:
    """The customer's Stripe Customer id (None before their first saved card)."""
    return (StripeCustomer.select(StripeCustomer.stripe_customer_id)
            .where(StripeCustomer.user == user_id).scalar())


def ensure_stripe_customer(user: User) -> str:
    """The customer's Stripe Customer id, created at Stripe and stored on first use (a retry or
    a concurrent call gets the same Customer: fixed idempotency key). Raises TransientError /
    PaymentFailed like every Stripe call."""
    existing = stripe_customer_id(user.id)
    if existing:
        return existing
    customer = stripe_customers.create_customer(user.id, user.email)
    StripeCustomer.insert(user=user.id, stripe_customer_id=customer.id, created_at=utcnow()) \
        .on_conflict_ignore().execute()  # a concurrent first use stored the same Customer
    return stripe_customer_id(user.id)


def start_setup(user: User) -> Job:
    """Write the `payment_setup` job (call in a transaction): its result is the SetupIntent."""
    return jobs.create_job("payment_setup", {"userId": user.id}, owner_id=user.id)


def run_setup_job(job: Job, ctx) -> dict:
    """`payment_setup` job. Result: `{"setupIntentId", "clientSecret", "customerId", "status"}`."""
    user = User.get_by_id(job.payload["userId"])
    customer_id = ensure_stripe_customer(user)
    intent = stripe_customers.create_setup_intent(user.id, customer_id, job.id)
    return {"setupIntentId": intent.id, "clientSecret": intent.client_secret, "customerId": customer_id,
            "status": intent.status}


def start_save(user: User, payment_method_id: str | None, setup_intent_id: str | None, make_default: bool) -> Job:
    """Write the `payment_method_save` job (call in a transaction). Exactly one of
    `payment_method_id` (`pm_...`) and `setup_intent_id` (`seti_...`, confirmed by the storefront)
    names the card. Raises ValidationFailed (400 `payment_method_source`: neither or both) and
    Conflict (409 `too_many_payment_methods`: MAX_SAVED_METHODS already saved)."""
    if (payment_method_id is None) == (setup_intent_id is None):
        raise ValidationFailed("Give either paymentMethodId or setupIntentId", reason="payment_method_source",
                               status=400, details=[{"field": "paymentMethodId",
                                                     "message": "Exactly one of paymentMethodId and setupIntentId"}])
    if SavedPaymentMethod.select().where(SavedPaymentMethod.user == user.id).count() >= MAX_SAVED_METHODS:
        raise Conflict(f"At most {MAX_SAVED_METHODS} saved payment methods", reason="too_many_payment_methods")
    return jobs.create_job("payment_method_save", {"userId": user.id, "paymentMethodId": payment_method_id,
                                                   "setupIntentId": setup_intent_id, "makeDefault": make_default},
                           owner_id=user.id)


def _setup_intent_method(user_id: str, setup_intent_id: str) -> str:
    intent = plain(stripe_customers.retrieve_setup_intent(setup_intent_id))
    if (intent.get("metadata") or {}).get("userId") != user_id:
        raise NotFound("SetupIntent not found", reason="setup_intent_not_found")
    method = intent.get("payment_method")
    if intent.get("status") != "succeeded" or not method:
        raise PaymentFailed(f"The SetupIntent is {intent.get('status')}: confirm it with the card first",
                            reason="setup_intent_not_succeeded")
    return method if isinstance(method, str) else method["id"]


def save_method(user: User, payment_method_id: str, make_default: bool = False) -> SavedPaymentMethod:
    """Attach Stripe PaymentMethod `payment_method_id` to the customer's Stripe Customer and store
    it (a second save of the same card returns the stored one). Raises Conflict (409
    `payment_method_taken`: another customer's card), PaymentFailed (402: Stripe declined the card)
    and TransientError."""
    existing = SavedPaymentMethod.get_or_none(SavedPaymentMethod.stripe_payment_method_id == payment_method_id)
    if existing is not None and existing.user_id != user.id:
        raise Conflict("This payment method belongs to another customer", reason="payment_method_taken")
    customer_id = ensure_stripe_customer(user)
    method = stripe_customers.retrieve_payment_method(payment_method_id)
    owner = plain(method).get("customer")
    if owner not in (None, customer_id):
        raise Conflict("This payment method belongs to another customer", reason="payment_method_taken")
    if owner is None:
        method = stripe_customers.attach_payment_method(user.id, payment_method_id, customer_id)
    card = stripe_customers.card_details(method)
    with atomic():
        _lock_customer(user.id)
        saved = SavedPaymentMethod.get_or_none(SavedPaymentMethod.stripe_payment_method_id == payment_method_id)
        if saved is None:
            first = not SavedPaymentMethod.select().where(SavedPaymentMethod.user == user.id).exists()
            saved = SavedPaymentMethod.create(
                user=user.id, stripe_payment_method_id=payment_method_id, brand=card["brand"], last4=card["last4"],
                exp_month=card["expMonth"], exp_year=card["expYear"], fingerprint=card["fingerprint"],
                is_default=first, created_at=utcnow())
        if make_default and not saved.is_default:
            _make_default(user.id, saved.id)
    return SavedPaymentMethod.get_by_id(saved.id)


def run_save_job(job: Job, ctx) -> dict:
    """`payment_method_save` job. Result: the saved method (`method_view`, `createdAt` ISO)."""
    user = User.get_by_id(job.payload["userId"])
    pm_id = job.payload.get("paymentMethodId") or _setup_intent_method(user.id, job.payload["setupIntentId"])
    view = method_view(save_method(user, pm_id, bool(job.payload.get("makeDefault"))))
    return dict(view, createdAt=view["createdAt"].isoformat())


def _make_default(user_id: str, method_id: str) -> None:
    SavedPaymentMethod.update(is_default=False).where(SavedPaymentMethod.user == user_id,
                                                      SavedPaymentMethod.is_default).execute()
    SavedPaymentMethod.update(is_default=True).where(SavedPaymentMethod.id == method_id).execute()


def set_default(user: User, method_id: str) -> SavedPaymentMethod:
    """Make the customer's saved method `method_id` their default. Raises NotFound."""
    with atomic():
        _lock_customer(user.id)
        own_method(user.id, method_id)
        _make_default(user.id, method_id)
    return SavedPaymentMethod.get_by_id(method_id)


def delete_method(user: User, method_id: str) -> Job:
    """Forget the customer's saved method and write the `payment_method_detach` job that detaches
    it at Stripe; the newest remaining card becomes the default if it was. Raises NotFound."""
    with atomic():
        _lock_customer(user.id)
        method = own_method(user.id, method_id)
        method.delete_instance()
        if method.is_default:
            newest = (SavedPaymentMethod.select(SavedPaymentMethod.id).where(SavedPaymentMethod.user == user.id)
                      .order_by(SavedPaymentMethod.created_at.desc(), SavedPaymentMethod.id).first())
            if newest is not None:
                _make_default(user.id, newest.id)
        return jobs.create_job("payment_method_detach", {"userId": user.id,
                                                         "paymentMethodId": method.stripe_payment_method_id},
                               owner_id=user.id)


def run_detach_job(job: Job, ctx) -> dict:
    """`payment_method_detach` job: detach the card at Stripe (a card saved again since is kept).
    Result: `{"paymentMethodId", "detached": bool}`."""
    pm_id = job.payload["paymentMethodId"]
    if SavedPaymentMethod.select().where(SavedPaymentMethod.stripe_payment_method_id == pm_id).exists():
        return {"paymentMethodId": pm_id, "detached": False}
    stripe_customers.detach_payment_method(job.payload["userId"], pm_id)
    return {"paymentMethodId": pm_id, "detached": True}


def charge_target(user_id: str | None, method_id: str) -> tuple[str, str]:
    """`(Stripe PaymentMethod id, Stripe Customer id)` to charge saved method `method_id` of
    customer `user_id`. Raises NotFound (404 `payment_method_not_found`: not theirs, deleted, or
    a guest)."""
    if user_id is None:
        raise NotFound("Payment method not found", reason="payment_method_not_found")
    method = own_method(user_id, method_id)
    customer_id = stripe_customer_id(user_id)
    if customer_id is None:
        raise NotFound("Payment method not found", reason="payment_method_not_found")
    return method.stripe_payment_method_id, customer_id
