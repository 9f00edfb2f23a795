"""Periodic work, scheduled with APScheduler: the outbox relay and key cleanup.

`python -m workers.scheduler` runs it in the foreground (production: one
scheduler process); `start_background()` runs it as a thread (embedded mode).
"""

from __future__ import annotations

import logging
import sys

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

import config
from workers import relay

log = logging.getLogger(__name__)


def _add_jobs(scheduler, settings: config.Settings) -> None:
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line every 2 s
    scheduler.add_job(relay.relay_once, "interval", seconds=settings.relay_interval_seconds, id="outbox_relay",
                      max_instances=1, coalesce=True)
    scheduler.add_job(relay.purge_idempotency_keys, "interval", hours=1, id="purge_idempotency_keys",
                      max_instances=1, coalesce=True)


def start_background(settings: config.Settings) -> BackgroundScheduler:
    """Start the schedule in a daemon thread and return the scheduler."""
    scheduler = BackgroundScheduler(daemon=True)
    _add_jobs(scheduler, settings)
    scheduler.start()
    return scheduler


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = config.get()
    except config.ConfigError as exc:
        sys.exit(f"cartwheel: configuration error: {exc}")
    from workers.bootstrap import bootstrap

    bootstrap(settings)
    relay.relay_once()
    scheduler = BlockingScheduler()
    _add_jobs(scheduler, settings)
    log.info("scheduler started (relay every %ss)", settings.relay_interval_seconds)
    scheduler.start()


if __name__ == "__main__":
    main()
