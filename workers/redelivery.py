"""When the broker redelivers a job message: only when the platform itself was unreachable.

A job's attempts are counted and retried by the job platform, in its row
(`services.platform.jobs`). The broker's own retries are kept for the one
case the row cannot record: the database (or the broker) failed while a
worker was picking the message up - connecting, claiming the job, or
releasing it after a failed attempt. Then the message is redelivered with
exponential backoff (`MIN_BACKOFF_MS` doubling to `MAX_BACKOFF_MS`, up to
`MAX_REDELIVERIES` times, about 10 minutes) instead of being dead-lettered on
the first error. A message that still exhausts them lands in the dead-letter
queue, which the relay drains back into recovery (`workers.dead_letters`).
A redelivered message for a job that did claim is a no-op (claims are
conditional).
"""

from __future__ import annotations

MIN_BACKOFF_MS = 250
MAX_BACKOFF_MS = 15_000
MAX_REDELIVERIES = 50


class PlatformUnavailable(Exception):
    """The database or broker failed before the job was claimed or while it was released;
    the broker redelivers the message (see the module docstring)."""


def redeliver_when(retries: int, exception: BaseException) -> bool:
    """Dramatiq's `retry_when(retries, exception)`: redeliver only after PlatformUnavailable,
    at most MAX_REDELIVERIES times."""
    return isinstance(exception, PlatformUnavailable) and retries < MAX_REDELIVERIES


ACTOR_OPTIONS = {"max_retries": MAX_REDELIVERIES, "retry_when": redeliver_when,
                 "min_backoff": MIN_BACKOFF_MS, "max_backoff": MAX_BACKOFF_MS}
