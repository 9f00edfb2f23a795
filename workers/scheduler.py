"""Periodic work, scheduled with APScheduler (all times UTC).

- every `RELAY_INTERVAL_SECONDS`: the outbox relay and the expired-lease reaper
  (`workers.relay.relay_once`), run in the scheduler itself;
- maintenance tasks (`services.maintenance`): the scheduler only *writes and sends*
  a `maintenance` job per task and period, which a worker runs on the
  `maintenance` queue - `MAINTENANCE_INTERVALS` below, plus
  `recommendations_nightly` daily at `RECOMMENDATIONS_NIGHTLY_HOUR`:00 UTC
  (-1 disables it).

No pile-up: every schedule entry has `max_instances=1` and `coalesce=True`
(missed runs collapse into one), and `services.maintenance.schedule_task`
writes no new job while the task's previous job is unfinished. Several
schedulers at once are harmless: the relay's steps are conditional updates,
and a maintenance job is written at most once per task and period (a marker
row, unique per task and period, committed with the job). Interval tasks
first run `FIRST_RUN_DELAY_SECONDS` after start, so frequent restarts cannot
starve them, and a restart inside a period does not repeat its job.

`python -m workers.scheduler` runs it in the foreground (production: one
scheduler process; a second one is safe, e.g. during a deploy);
`start_background()` runs it as a thread (embedded mode).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

import config
from models.db import database, utcnow
from services import maintenance
from workers import relay
from workers.dispatch import dispatch

log = logging.getLogger(__name__)

MAINTENANCE_INTERVALS = {  # task -> seconds between runs
    "expire_carts": 15 * 60,
    "abandoned_cart_reminders": 15 * 60,
    "loyalty_points_reminders": 6 * 3600,
    "loyalty_points_expiry": 6 * 3600,
    "purge_expired_records": 3600,
    "purge_expired_exports": 3600,
    "catalog_cache_cleanup": 15 * 60,
    "rotate_pii": 86400,
    "build_sitemap": 3600,
    "expire_stock_reservations": 60,
    "analytics_rollup": 15 * 60,  # yesterday's and today's analytics rollup
    "flush_video_counters": 60,  # buffered video views and shares into the database
    "expire_earn_projects": 15 * 60,  # earn projects past their expiry date -> expired
}
NIGHTLY_TASK = "recommendations_nightly"
FIRST_RUN_DELAY_SECONDS = 30
DAY_SECONDS = 86400


def period_of(now: dt.datetime, seconds: int) -> tuple[str, dt.datetime]:
    """The period of length `seconds` (aligned to the Unix epoch, UTC) containing naive-UTC
    `now`: its key (`2025-01-15T10:15`, or `2025-01-15` for whole days) and its end."""
    epoch = dt.datetime(1970, 1, 1)
    start = epoch + dt.timedelta(seconds=int((now - epoch).total_seconds()) // seconds * seconds)
    key = start.strftime("%Y-%m-%d") if seconds % DAY_SECONDS == 0 else start.strftime("%Y-%m-%dT%H:%M")
    return key, start + dt.timedelta(seconds=seconds)


def enqueue_maintenance(task: str, period_seconds: int, now: dt.datetime | None = None) -> str | None:
    """Write and send `task`'s `maintenance` job for the current period of `period_seconds`.

    Returns the job id, or None when this period's job already exists (another
    scheduler, an earlier run) or the task's previous job is still unfinished.
    """
    period, end = period_of(now or utcnow(), period_seconds)
    with database.connection_context():
        job = maintenance.schedule_task(task, period, end)
        if job is not None:
            dispatch(job)  # a failed send is left to the relay
    if job is not None:
        log.info("scheduler: maintenance %s for %s -> %s", task, period, job.id)
    return job.id if job is not None else None


def _add_jobs(scheduler, settings: config.Settings) -> None:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line every 2 s
    scheduler.add_job(relay.relay_once, "interval", seconds=settings.relay_interval_seconds, id="outbox_relay",
                      max_instances=1, coalesce=True)
    first_run = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=FIRST_RUN_DELAY_SECONDS)
    for task, seconds in MAINTENANCE_INTERVALS.items():
        scheduler.add_job(enqueue_maintenance, "interval", seconds=seconds, args=(task, seconds),
                          id=f"maintenance:{task}", next_run_time=first_run, max_instances=1, coalesce=True,
                          misfire_grace_time=seconds // 2)
    if settings.recommendations_nightly_hour >= 0:
        scheduler.add_job(enqueue_maintenance, "cron", hour=settings.recommendations_nightly_hour, minute=0,
                          timezone=dt.timezone.utc, args=(NIGHTLY_TASK, DAY_SECONDS),
                          id=f"maintenance:{NIGHTLY_TASK}", max_instances=1, coalesce=True,
                          misfire_grace_time=3600)


def start_background(settings: config.Settings) -> BackgroundScheduler:
    """Start the schedule in a daemon thread and return the scheduler."""
    scheduler = BackgroundScheduler(daemon=True, timezone=dt.timezone.utc)
    _add_jobs(scheduler, settings)
    scheduler.start()
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from services.platform import logs

    try:
        logs.configure("scheduler", logs.json_default())  # JSON lines in production (LOG_FORMAT)
        settings = config.get()
    except config.ConfigError as exc:
        sys.exit(f"cartwheel: configuration error: {exc}")
    from workers.bootstrap import bootstrap

    bootstrap(settings)
    relay.relay_once()
    scheduler = BlockingScheduler(timezone=dt.timezone.utc)
    _add_jobs(scheduler, settings)
    log.info("scheduler started (relay every %ss; maintenance: %s; nightly training: %s)",
             settings.relay_interval_seconds, ", ".join(MAINTENANCE_INTERVALS),
             f"{settings.recommendations_nightly_hour:02d}:00 UTC" if settings.recommendations_nightly_hour >= 0
             else "off")
    scheduler.start()


if __name__ == "__main__":
    main()
