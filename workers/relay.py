"""The outbox relay (DESIGN.md 4.4): finds every job that should be running and is not.

One pass, in order:
1. running jobs whose heartbeat is older than their type's lease go back to
   queued (their worker died), or fail when out of attempts;
2. dead-lettered broker messages are drained and their queued jobs marked
   undispatched (`workers.dead_letters`);
3. queued jobs undispatched for `RELAY_GRACE_SECONDS` are sent;
4. queued jobs sent more than `DISPATCH_LEASE_SECONDS` ago and never claimed
   (the message was lost with a Redis restart, or prefetched by a killed
   worker) are sent again.
Sends are marked dispatched in one UPDATE per step. Safe to run from several
processes at once: every step is a conditional update and a duplicate message
is a no-op. A step whose database or broker is down is skipped and logged;
the next pass retries it.
"""

from __future__ import annotations

import logging

import dramatiq

import config
from models.db import database, discard_connection
from services.platform import idempotency, recovery
from workers import dead_letters
from workers.dispatch import dispatch_many, send

log = logging.getLogger(__name__)


def _resend_stale(lease_seconds: float) -> int:
    stale = recovery.stale_dispatched(lease_seconds)
    sent = [job.id for job in stale if send(job)]
    recovery.mark_redispatched(sent)
    return len(sent)


def relay_once(grace_seconds: float | None = None) -> dict:
    """One relay pass (see the module docstring). Returns `{"requeued", "deadLettered", "sent",
    "resent"}` counts. `grace_seconds` overrides `RELAY_GRACE_SECONDS` (0: send every undispatched job)."""
    settings = config.get()
    grace = settings.relay_grace_seconds if grace_seconds is None else grace_seconds
    counts = {"requeued": 0, "deadLettered": 0, "sent": 0, "resent": 0}
    try:
        with database.connection_context():
            counts["requeued"] = len(recovery.reclaim_expired_leases())
            try:
                drained = dead_letters.drain(dramatiq.get_broker())
            except Exception as exc:  # noqa: BLE001 - broker down: the next pass drains
                log.warning("relay: could not drain dead letters: %s", exc)
                drained = []
            counts["deadLettered"] = recovery.release_dead_lettered(drained)
            counts["sent"] = len(dispatch_many(recovery.undispatched(grace)))
            counts["resent"] = _resend_stale(settings.dispatch_lease_seconds)
    except Exception as exc:  # noqa: BLE001 - database down: the next pass retries
        log.warning("relay: pass abandoned: %s: %s", type(exc).__name__, exc)
        discard_connection()
    if any(counts.values()):
        log.info("relay: %(requeued)d lease(s) reclaimed, %(deadLettered)d dead letter(s) released, "
                 "%(sent)d job(s) sent, %(resent)d re-sent after the dispatch lease", counts)
    return counts


def restart_recovery() -> int:
    """Embedded start-up: put every unfinished job back on the (new, empty) in-memory broker."""
    with database.connection_context():
        n = recovery.requeue_all_for_restart()
    relay_once(grace_seconds=0)
    return n


def purge_idempotency_keys() -> int:
    with database.connection_context():
        return idempotency.purge_expired()
