"""The outbox relay (DESIGN.md 4.4): re-sends undispatched jobs and reclaims expired leases."""

from __future__ import annotations

import logging

import config
from models.db import database
from services.platform import idempotency, recovery
from workers.dispatch import dispatch

log = logging.getLogger(__name__)


def relay_once(grace_seconds: float | None = None) -> dict:
    """One relay pass. Returns `{"requeued": n, "sent": n}`.

    Running jobs whose heartbeat is older than their type's lease go back to
    queued; queued jobs undispatched for `grace_seconds` (default
    `RELAY_GRACE_SECONDS`) are sent. Safe to run from several processes at once:
    every step is a conditional update and a duplicate message is a no-op.
    """
    settings = config.get()
    grace = settings.relay_grace_seconds if grace_seconds is None else grace_seconds
    with database.connection_context():
        requeued = recovery.reclaim_expired_leases()
        sent = sum(dispatch(job) for job in recovery.undispatched(grace))
    if requeued or sent:
        log.info("relay: %d lease(s) reclaimed, %d job(s) sent", len(requeued), sent)
    return {"requeued": len(requeued), "sent": sent}


def restart_recovery() -> int:
    """Embedded start-up: put every unfinished job back on the (new, empty) in-memory broker."""
    with database.connection_context():
        n = recovery.requeue_all_for_restart()
    relay_once(grace_seconds=0)
    return n


def purge_idempotency_keys() -> int:
    with database.connection_context():
        return idempotency.purge_expired()
