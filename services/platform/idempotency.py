"""`Idempotency-Key` handling for job-creating requests (DESIGN.md section 4.3).

Same key + same caller + same request: the original job is returned and
flagged as a replay. Same key, different request: `IdempotencyKeyReused`.
Two concurrent first uses race on the unique (scope, key) index; the loser's
transaction rolls back and it replays the winner's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Callable

import peewee

import config
from models.db import atomic, utcnow
from models.jobs import IdempotencyKey, Job
from services.errors import ValidationFailed

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(ValidationFailed):
    code = "IDEMPOTENCY_KEY_REUSED"
    reason = "idempotency_key_reused"


def request_fingerprint(method: str, path: str, body: object) -> str:
    """SHA-256 hex of the method, path and canonical JSON body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _existing(scope: str, key: str) -> IdempotencyKey | None:
    row = IdempotencyKey.get_or_none(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    if row is not None and row.expires_at < utcnow():
        IdempotencyKey.delete().where(IdempotencyKey.id == row.id).execute()
        return None
    return row


def _replay(row: IdempotencyKey, fingerprint: str) -> Job:
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request",
            details=[{"field": "Idempotency-Key", "message": "Use a new key for a different request"}],
        )
    return Job.get_by_id(row.job_id)


def submit(scope: str, key: str | None, fingerprint: str, create: Callable[[], Job]) -> tuple[Job, bool]:
    """Run `create()` (which writes the job and its domain rows) in one transaction,
    recording `key` with it. Returns `(job, replayed)`.

    `scope` identifies the caller (user id, or `guest`); raises
    IdempotencyKeyReused (422) when the key was used for another request, and
    ValidationFailed for a key longer than 255 characters.
    """
    if key is None:
        with atomic():
            return create(), False
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key must be 1-255 characters", reason="bad_idempotency_key",
                               details=[{"field": "Idempotency-Key", "message": "1-255 characters"}])
    ttl = dt.timedelta(hours=config.get().idempotency_ttl_hours)
    try:
        with atomic():
            # The key row is written before the domain work, so a concurrent first use
            # waits on the unique index (PostgreSQL) or the write lock (SQLite) and
            # then replays, instead of re-running validation against changed state.
            row = _existing(scope, key)
            if row is not None:
                return _replay(row, fingerprint), True
            row = IdempotencyKey.create(scope=scope, key=key, request_hash=fingerprint, job_id="",
                                        expires_at=utcnow() + ttl)
            job = create()
            IdempotencyKey.update(job_id=job.id).where(IdempotencyKey.id == row.id).execute()
        return job, False
    except peewee.IntegrityError:
        row = _existing(scope, key)
        if row is None:
            raise
        return _replay(row, fingerprint), True


def purge_expired() -> int:
    """Delete keys past their expiry; returns how many."""
    return IdempotencyKey.delete().where(IdempotencyKey.expires_at < utcnow()).execute()
