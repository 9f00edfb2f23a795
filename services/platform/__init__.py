"""The job platform and the shared machinery every domain package builds on.

Public surface (import these modules from here, e.g. `from services.platform import jobs`):

- `jobs`: the job state machine (create, claim, heartbeat, finish, cancel, retry, list);
- `job_types`: every job type declared once (queue, attempts, time limit, lease);
- `JobContext`, `JobCancelled`: what a running job's handler gets;
- `consumption`: queue health (ready work, its age, when a worker last claimed from each queue);
- `heartbeat`: the keep-alive thread that renews the leases of long-running jobs;
- `recovery`: the outbox relay's reads (unsent jobs, expired leases, restart);
- `idempotency`: `Idempotency-Key` handling of job-creating requests;
- `events`: domain events, with handlers registered by the packages that react;
- `periodic`: "at most once" markers and the scheduler's per-period maintenance job;
- `probe`: the no-op `probe` job (the pipeline's own cost, and a check that workers consume);
- `retention`: purging expired keys and finished jobs;
- `model_registry`: trained models (register, activate, roll back, load);
- `live`: publish/subscribe for live updates (Redis, or in-process when embedded);
- `user_events`: seed 002's real-time events, one live channel per user (published after commit);
- `html`: user-written HTML cleaned on write (`sanitize_html`, `plain_text`);
- `images`: uploaded images checked and re-encoded from their pixels alone (`clean_image`:
  avatars, review photos, proof-of-delivery photos);
- `media_files`: uploaded media written whole under a random name (`store_new_file`);
- `video_containers`: video files recognised by their magic bytes (MP4, MOV, WebM) and their
  container's duration (review videos, shoppable videos);
- `user_events`: a user's own real-time events (seed 002), published after commit;
- `audit`: the append-only audit log of staff, courier, admin and API-key writes;
- `catalog_ttl`: the catalog cache of responses and totals (`CATALOG_CACHE_SECONDS`; Redis, or
  in-process when embedded), invalidated by generation on every catalog write;
- `metrics`: Prometheus metrics (HTTP, jobs, cache, notifications, scrape-time job gauges), one
  process or aggregated over every process (`PROMETHEUS_MULTIPROC_DIR`);
- `logs`: structured logs (structlog over `logging`: JSON or console lines, request and job
  context, secrets masked, `security_event`);
- `dependencies`: the detailed health report's checks (database, broker, Redis, Stripe,
  providers, model registry, queues);
- `counters`: gap-free numbers per scope (order and purchase order numbers);
- `user_events`: a user's own real-time events (seed 002: `wallet_update`, `new_project`, ...);
- `pii_rotation`: the `rotate_pii` task moving encrypted personal data and keyed hashes to the
  current PII key.

This package imports no domain package (a test checks it), and neither Flask nor Dramatiq.
"""

from services.platform import (  # noqa: F401
    audit, catalog_ttl, consumption, counters, dependencies, events, heartbeat, html, idempotency, images, job_types,
    jobs, live, logs, media_files, metrics, model_registry, periodic, pii_rotation, probe, recovery, retention,
    user_events, video_containers)
from services.platform.jobcontext import JobCancelled, JobContext  # noqa: F401
from services.platform.reasons import REASONS  # noqa: F401
