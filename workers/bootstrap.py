"""One-time process set-up shared by the API and the workers: database, broker, actors."""

from __future__ import annotations

import threading

import config
from models.db import init_database

_lock = threading.Lock()
_state: dict = {}


def bootstrap(settings: config.Settings):
    """Bind the database and install the broker for `settings`, then declare every actor.

    Idempotent per process: a second call rebinds the database (tests use a
    new file per test) but keeps the first broker, to which actors are bound.
    Returns the broker.
    """
    with _lock:
        init_database(settings.database_url, settings.db_pool_size)
        if "broker" not in _state:
            from workers.broker import install_broker

            _state["broker"] = install_broker(settings.broker_url)
            import workers.actors  # noqa: F401  (declares and registers actors)
        return _state["broker"]
