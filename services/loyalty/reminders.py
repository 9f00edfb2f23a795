"""Reminders about unused loyalty points, run by the periodic `maintenance` job
`loyalty_points_reminders` (`services.maintenance`): one `loyalty.points_reminder` event
per customer and period of `LOYALTY_REMINDER_DAYS` days, guarded by a marker
(`services.platform.periodic`), so a re-run or a second worker reminds nobody twice.

Reminders precede expiry (services.loyalty.expiry): a balance idle for LOYALTY_REMINDER_DAYS
(default 30) is reminded, then once per such period, until it expires after
LOYALTY_POINTS_EXPIRY_DAYS (default 365) of inactivity; config refuses a reminder period that is
not shorter than the expiry, so an idle balance is reminded before it expires.
"""

from __future__ import annotations

import datetime as dt

import config
from models.db import isoformat
from models.jobs import Job
from services.loyalty.ledger import accounts_with_unused_points
from services.platform import events, periodic


def loyalty_period(now: dt.datetime, days: int) -> tuple[int, dt.datetime, dt.datetime]:
    """The reminder period containing `now`: `(index, start, end)`, periods being
    consecutive runs of `days` days counted from 0001-01-01 (proleptic ordinal)."""
    index = (now.date().toordinal() - 1) // days
    start = dt.datetime.fromordinal(index * days + 1)
    return index, start, start + dt.timedelta(days=days)


def loyalty_points_reminders(job: Job, ctx, now: dt.datetime) -> dict:
    """Emit `loyalty.points_reminder` (subject: user id) for each user
    `accounts_with_unused_points(LOYALTY_REMINDER_DAYS)` names, at most
    once per user and period (marker `loyalty.points_reminder:{user}:{period index}`).
    Result: `{"candidates", "reminded", "alreadyReminded", "period"}`."""
    days = config.get().loyalty_reminder_days
    index, start, end = loyalty_period(now, days)
    user_ids = list(dict.fromkeys(accounts_with_unused_points(days)))
    ctx.progress(0, len(user_ids), f"{len(user_ids)} account(s) with unused points")
    reminded, already = periodic.once_each(
        ctx, user_ids, lambda uid: f"loyalty.points_reminder:{uid}:{index}", lambda uid: end + dt.timedelta(days=1),
        lambda uid: events.emit("loyalty.points_reminder", uid,
                                {"periodStart": isoformat(start), "periodEnd": isoformat(end)}, parent_id=job.id),
        "reminder")
    return {"candidates": len(user_ids), "reminded": reminded, "alreadyReminded": already,
            "period": {"index": index, "start": isoformat(start), "end": isoformat(end)}}
