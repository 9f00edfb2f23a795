"""The one-process runner behind `make run`: `python -m web.serve`.

Loads the configuration (a bad setting prints one line naming it and exits 1),
migrates the database, seeds the demo catalog when the database is empty,
starts the in-process Dramatiq worker threads and the scheduler thread, and
serves the API with waitress on `127.0.0.1:${PORT:-8000}` until Ctrl-C or
SIGTERM. With the default settings everything lives in `var/` (SQLite, WAL)
and jobs go through the stub broker; `DATABASE_URL`, `BROKER_URL` and
`REDIS_URL` point the same process at PostgreSQL and Redis instead.

A restart loses no job: the job table is the source of truth, and on the stub
broker every unfinished job is re-sent at start-up (`relay.restart_recovery`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import config

log = logging.getLogger("cartwheel.serve")

HOST = "127.0.0.1"
WAITRESS_THREADS = 16
STOP_TIMEOUT_MS = 5000
DEMO_ADMIN_EMAIL = "admin@cartwheel.test"
DEMO_ADMIN_PASSWORD = "cartwheel-demo-shop"


def _port() -> int:
    """`PORT` from the environment (default 8000); raises ConfigError when malformed."""
    raw = os.environ.get("PORT") or "8000"
    try:
        port = int(raw)
    except ValueError:
        raise config.ConfigError(f"PORT must be an integer, got {raw!r}") from None
    if not 0 < port < 65536:
        raise config.ConfigError(f"PORT must be between 1 and 65535, got {port}")
    return port


def _ensure_dirs(settings: config.Settings) -> None:
    """Create `var/`, the SQLite file's folder, and the model and media folders."""
    (config.ROOT / "var").mkdir(parents=True, exist_ok=True)
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url[len("sqlite:///"):]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    for folder in (settings.model_dir, settings.media_dir):
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError:  # a read-only or foreign path: whoever uses it will say so
            pass


def _seed_demo() -> tuple[list[str], bool]:
    """Seed the demo catalog if the database is empty.

    Returns `(job ids to dispatch, whether the demo admin exists)`.
    """
    from models.db import database
    from models.users import User
    from services import demo

    with database.connection_context():
        job_ids = list(demo.seed_demo_if_empty(admin_email=DEMO_ADMIN_EMAIL, admin_password=DEMO_ADMIN_PASSWORD))
        admin = User.get_or_none(User.email == DEMO_ADMIN_EMAIL)
    return job_ids, admin is not None


def _dispatch(job_ids: list[str]) -> int:
    """Send the seeded jobs that are still undispatched (the relay would send them anyway)."""
    from models.db import database
    from models.jobs import Job
    from workers.dispatch import dispatch

    sent = 0
    with database.connection_context():
        for job in Job.select().where(Job.id.in_(job_ids), Job.dispatched_at.is_null(), Job.state == "queued"):
            sent += dispatch(job)
    return sent


def _stop_workers(workers) -> None:
    """Stop the scheduler and the worker threads, waiting at most STOP_TIMEOUT_MS for
    running jobs; a job cut short stays `running` and is re-sent at the next start."""
    if workers.scheduler is not None:
        workers.scheduler.shutdown(wait=False)
    if workers.worker is not None:
        workers.worker.stop(timeout=STOP_TIMEOUT_MS)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # the relay runs every few seconds
    from services.platform import logs

    try:
        settings = config.get()
        port = _port()
        logs.configure("embedded", logs.json_default(settings.env))  # console lines unless LOG_FORMAT=json
    except config.ConfigError as exc:
        print(f"cartwheel: configuration error: {exc}", file=sys.stderr)
        return 1

    _ensure_dirs(settings)

    from waitress import create_server

    from models.migrate import apply_migrations
    from web import create_app
    from web.realtime_socket import polling_only
    from web.server_errors import use_json_errors
    from workers.embedded import EmbeddedWorkers

    try:
        app = create_app(settings)
        polling_only(app)  # waitress cannot hand its socket to a WebSocket: Socket.IO long-polls here
    except config.ConfigError as exc:
        print(f"cartwheel: configuration error: {exc}", file=sys.stderr)
        return 1
    applied = apply_migrations()
    if applied:
        log.info("migrations applied: %s", ", ".join(applied))

    job_ids, admin_exists = _seed_demo()

    try:
        server = create_server(app, host=HOST, port=port, threads=WAITRESS_THREADS, ident="cartwheel")
        use_json_errors(server)  # waitress's own 4xx (bad request line, garbage headers) in the envelope
    except OSError as exc:
        print(f"cartwheel: cannot listen on {HOST}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    # On the stub broker nothing else can hold a job, so every unfinished one is
    # re-sent; on Redis/RabbitMQ the scheduler's relay reclaims expired leases.
    workers = EmbeddedWorkers(settings).start(recover=settings.embedded)
    if job_ids:
        sent = _dispatch(job_ids)
        log.info("demo catalog: %d import job(s) queued (%d sent now)", len(job_ids), sent)

    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)  # also when started with SIGINT ignored (e.g. `cmd &`)
    base = f"http://{HOST}:{port}"
    mode = "embedded (SQLite + in-process workers)" if settings.embedded else "external broker, in-process workers"
    print(f"Cartwheel is serving on {base} [{mode}]", flush=True)
    print(f"  API docs:    {base}/api/v1/docs", flush=True)
    print(f"  health:      {base}/api/v1/health", flush=True)
    if admin_exists:
        print(f"  demo admin:  {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        print("cartwheel: stopping", flush=True)
        server.close()
        _stop_workers(workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
