"""Demo earn projects and wallets for `make run`: three projects (a product review, a photo, a
visit in Amman) and, for the demo customers (the reviewers), wallets with history: a welcome
credit, a paid earn reward, a pending submission, a rejected and a pending withdrawal.
Amounts are whole units of the shop currency turned into minor units (withdrawals and the welcome
credit at least WALLET_MIN_WITHDRAWAL_MINOR, so a JPY shop seeds too)."""

from __future__ import annotations

import config
from models.users import User
from services import wallet

BANK = {"iban": "JO94CBJO0010000000000131000302", "account_name": "Demo Customer"}


def seed_wallets(admin: User, customer_emails: list[str]) -> None:
    """Write the demo projects and wallets, inside the caller's transaction (the demo seeding)."""
    settings = config.get()
    unit, least = 10 ** settings.currency_exponent, settings.wallet_min_withdrawal_minor
    review = wallet.create_project({
        "title": "Review a product you bought", "description": "Tell other customers what you think (50+ words).",
        "category": "review", "type": "text", "min_words": 50, "reward_amount": 2 * unit, "max_per_user": 3,
        "total_budget": 500 * unit}, admin.id)
    wallet.create_project({
        "title": "Show us your cheese board", "description": "A photo of your board with our cheeses.",
        "category": "ugc_content", "type": "photo", "reward_amount": 5 * unit, "bonus_permille": 1500,
        "max_per_user": 1, "total_budget": 250 * unit}, admin.id)
    wallet.create_project({
        "title": "Visit our Amman pop-up", "description": "Check in at the pop-up store on Rainbow Street.",
        "category": "store_visit", "type": "visit", "location_lat": 31.9515, "location_lng": 35.9239,
        "location_radius_km": 0.5, "location_name": "Rainbow Street, Amman", "reward_amount": 3 * unit,
        "max_per_user": 1}, admin.id)
    words = " ".join(["The serum feels light and the scent is gentle."] * 6)
    for n, user in enumerate(User.select().where(User.email.in_(customer_emails)).order_by(User.email)):
        wallet.credit(user.id, max(20 * unit, 2 * least), settings.currency, source_type="adjustment",
                      source_ref=f"demo-welcome:{user.id}", description="Welcome bonus")
        paid = wallet.submit(review.id, user.id, {"text": words, "rating": 5})
        wallet.approve_submission(paid.id, admin.id)
        wallet.pay_reward(paid.id)  # the earn_reward job the approval wrote replays this credit
        wallet.submit(review.id, user.id, {"text": words + " Second jar, still good.", "rating": 4})
        if n == 0:
            rejected, _ = wallet.request_withdrawal(user.id, max(15 * unit, least), "bank_transfer", BANK)
            wallet.reject_withdrawal(rejected.id, admin.id, "The account holder's name does not match")
            wallet.request_withdrawal(user.id, max(10 * unit, least), "paypal", {"email": user.email})
