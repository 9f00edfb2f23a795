"""Points expiry (seed 000 "points expire after a configurable time"), run by the periodic
`maintenance` task `loyalty_points_expiry` (services.maintenance).

Smile.io-style: a balance expires whole after LOYALTY_POINTS_EXPIRY_DAYS (default 365; 0 turns
expiry off) without account activity, activity being an earn or a redemption
(`LoyaltyAccount.last_activity_at`; an expiry, a reversal or a reminder is not activity). An
expiry is one `expire` ledger line of -balance (balance after 0, like `forfeit_points`), so the
ledger keeps summing to the balance; `lifetime_earned` and the tier are untouched. Its key
`expire:{account id}:{last activity}` is UNIQUE, so a re-run, or two workers at once, expire an
idle balance once, and a later balance (after new activity) can expire again under a new key.

Reminders come first: the `loyalty_points_reminders` task reminds an idle balance after
LOYALTY_REMINDER_DAYS (default 30) and once every such period after, so with the defaults a
customer hears about their points about 12 times before they expire (config refuses a reminder
period that is not shorter than the expiry).
"""

from __future__ import annotations

import datetime as dt

import peewee

import config
from models.db import atomic, is_postgres, isoformat
from models.jobs import Job
from models.loyalty import LoyaltyAccount, LoyaltyTransaction

EXPIRY_BATCH = 200  # accounts read per query


def expiry_key(account: LoyaltyAccount) -> str:
    """The ledger key of the expiry of the account's current idle balance."""
    return f"expire:{account.id}:{account.last_activity_at.strftime('%Y%m%dT%H%M%S%f')}"


def expire_account(account_id: str, cutoff: dt.datetime, now: dt.datetime) -> int:
    """Expire the balance of account `account_id` if it is still positive and idle since before
    `cutoff` (checked again under the row's lock), with one `expire` line. Returns the points
    expired (0: nothing to do, or expired already)."""
    try:
        with atomic():
            query = LoyaltyAccount.select().where(LoyaltyAccount.id == account_id)
            account = (query.for_update() if is_postgres() else query).first()
            if account is None or account.points_balance <= 0 or account.last_activity_at > cutoff:
                return 0
            points = account.points_balance
            LoyaltyTransaction.create(
                account=account, type="expire", points=-points, balance_after=0, key=expiry_key(account),
                description=f"Expired: no activity since {account.last_activity_at.date().isoformat()}",
                created_at=now)
            LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance - points, updated_at=now).where(
                LoyaltyAccount.id == account.id).execute()
            return points
    except peewee.IntegrityError:  # this idle balance expired already (a concurrent run)
        return 0


def expire_idle_points(job: Job, ctx, now: dt.datetime) -> dict:
    """Maintenance task `loyalty_points_expiry`: expire every positive balance idle for
    LOYALTY_POINTS_EXPIRY_DAYS (`expire_account`, one transaction per account), in account id
    order. Result: `{"cutoff" (ISO 8601 or null when expiry is off), "candidates", "expired"
    (accounts), "points"}`."""
    days = config.get().loyalty_points_expiry_days
    if days <= 0:
        return {"cutoff": None, "candidates": 0, "expired": 0, "points": 0}
    cutoff = now - dt.timedelta(days=days)
    candidates = expired = points = 0
    last = ""
    while True:
        ids = [row.id for row in LoyaltyAccount.select(LoyaltyAccount.id)
               .where(LoyaltyAccount.points_balance > 0, LoyaltyAccount.last_activity_at <= cutoff,
                      LoyaltyAccount.id > last)
               .order_by(LoyaltyAccount.id).limit(EXPIRY_BATCH)]
        if not ids:
            break
        for account_id in ids:
            taken = expire_account(account_id, cutoff, now)
            expired += 1 if taken else 0
            points += taken
        candidates += len(ids)
        last = ids[-1]
        ctx.progress(candidates, None, f"{expired} balance(s) expired")
    return {"cutoff": isoformat(cutoff), "candidates": candidates, "expired": expired, "points": points}
