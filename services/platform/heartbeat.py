"""Keep-alive for running jobs: one daemon thread per process renews the lease of
every job it holds that has run for a third of its lease without a heartbeat.

A job's lease (`job_types.lease_seconds`) is renewed by `ctx.progress()` and by
this thread, so a handler that spends a long time in one call (a model fit, a
slow provider) keeps its job; a worker that dies stops renewing, and the
recovery pass re-queues the job one lease later. Jobs shorter than a third of
their lease cost no extra statement. A renewal is one UPDATE of `updated_at`
(not `version`: a heartbeat is not a change a client sees).

The same thread writes the process's queue consumption beacons
(`services.platform.consumption.flush`), off the jobs' path.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from models.db import database, utcnow
from models.jobs import Job
from services.platform import consumption
from services.platform.job_types import lease_seconds

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


class KeepAlive:
    """The process's registry of held jobs and the thread that renews their leases."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, list] = {}  # job id -> [interval seconds, monotonic time of the last renewal]
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, job_id: str, job_type: str):
        """Renew `job_id`'s lease while the block runs (every lease/3 seconds, from the first third on)."""
        interval = max(0.5, lease_seconds(job_type) / 3.0)
        with self._lock:
            self._held[job_id] = [interval, time.monotonic()]
            self._ensure_thread()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(job_id, None)

    def renewed(self, job_id: str) -> None:
        """Note that `job_id`'s lease was just renewed elsewhere (a progress report)."""
        with self._lock:
            if job_id in self._held:
                self._held[job_id][1] = time.monotonic()

    def held(self) -> list[str]:
        """Ids of the jobs this process holds now."""
        with self._lock:
            return list(self._held)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="cartwheel-keepalive", daemon=True)
            self._thread.start()

    def _due(self) -> list[str]:
        now = time.monotonic()
        with self._lock:
            return [job_id for job_id, (interval, last) in self._held.items() if now - last >= interval]

    def renew_due(self) -> int:
        """Renew every held job that is due; returns how many were renewed."""
        due = self._due()
        if not due:
            return 0
        with database.connection_context():
            renewed = Job.update(updated_at=utcnow()).where(
                Job.id.in_(due), Job.state.in_(("running", "cancel_requested"))).execute()
        now = time.monotonic()
        with self._lock:
            for job_id in due:
                if job_id in self._held:
                    self._held[job_id][1] = now
        return renewed

    def _run(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            try:
                self.renew_due()
                if consumption.pending():
                    with database.connection_context():
                        consumption.flush()
            except Exception as exc:  # noqa: BLE001 - the database is down: the next tick retries
                log.warning("keep-alive: could not renew leases: %s", exc)


keep_alive = KeepAlive()
