"""Embedded mode: an in-process Dramatiq `Worker` on the stub broker, plus the scheduler thread."""

from __future__ import annotations

import dramatiq

import config
from workers import relay, scheduler
from workers.bootstrap import bootstrap


class EmbeddedWorkers:
    """Starts and stops the in-process worker threads and the scheduler."""

    def __init__(self, settings: config.Settings):
        self.settings = settings
        self.broker = bootstrap(settings)
        self.worker = None
        self.scheduler = None

    def start(self, recover: bool = True) -> "EmbeddedWorkers":
        """Start worker threads and the scheduler; with `recover`, re-send unfinished jobs first."""
        self.worker = dramatiq.Worker(self.broker, worker_threads=self.settings.worker_threads, worker_timeout=100)
        self.worker.start()
        if recover:
            relay.restart_recovery()
        self.scheduler = scheduler.start_background(self.settings)
        return self

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.worker is not None:
            self.worker.stop()
