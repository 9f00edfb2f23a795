"""gunicorn settings for the API (gunicorn reads ./gunicorn.conf.py by default: `make serve`, the
e2e production stack and the api container all start it from the repository root). Workers,
threads and the bind address stay on the command line.

Hooks:
- `on_starting` (the master, once): structured logs for the master too (JSON with
  `LOG_FORMAT=json` or `CARTWHEEL_ENV=production`, see services.platform.logs), gunicorn's
  own error log routed through them, and in Prometheus multiprocess mode
  (`PROMETHEUS_MULTIPROC_DIR`) the metric files of this host's processes that are gone
  removed (`services.platform.metrics.clean_multiprocess_dir`: an earlier run's, a dead
  worker's; running dramatiq workers' files stay);
- `child_exit` (the master, per worker that exits): the worker's live gauges leave the
  aggregation (`prometheus_client.multiprocess.mark_process_dead`, as prometheus-client
  documents for gunicorn).
"""

import logging


def on_starting(server):
    from services.platform import logs, metrics

    logs.configure("api", logs.json_default())
    logs.adopt(logging.getLogger("gunicorn.error"))
    removed = metrics.clean_multiprocess_dir()
    if removed:
        server.log.info("prometheus: removed %d metric file(s) of processes that are gone", len(removed))


def child_exit(server, worker):
    from services.platform import metrics

    metrics.mark_process_dead(worker.pid)
