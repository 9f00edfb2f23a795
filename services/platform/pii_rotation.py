"""PII key rotation: the `rotate_pii` maintenance task re-encrypts personal data under the
current key and recomputes the keyed hashes (models.encryption).

How a shop rotates: put a new key first in `PII_ENCRYPTION_KEYS`, keep the old ones after it,
restart. New writes use the new key at once; reads of old values keep working (their kid picks
the old key), and so do phone lookups (`lookup_hashes` tries every key). The task, scheduled
daily (and runnable at once: `flask --app web pii rotate`), then walks every model with
encrypted or keyed-hash columns (`models.ALL_MODELS`), rewriting in batches of 500 rows per
transaction the rows still under an old key; once a run rewrites no row (`rows: 0`) the old
key can be removed. Running it with nothing to do costs one indexed-or-scanned SELECT per model.

The audit log is append-only; on PostgreSQL its trigger lets exactly one kind of UPDATE
through: from a connection that declared itself a rotation (`SET cartwheel.pii_rotation = 'on'`,
done here and reset after), an UPDATE changing nothing but the encrypted `before`/`after`
columns (migration 0015).
"""

from __future__ import annotations

import contextlib
import logging

import models
from models.db import database, is_postgres
from models.encryption import current_kid, encrypted_fields, keyed_hash_fields, reencrypt, rehash
from models.jobs import Job

log = logging.getLogger("services.platform.pii_rotation")


def rotation_targets() -> list[tuple[type, list, list]]:
    """(model, encrypted fields, keyed-hash fields) for every model holding either."""
    targets = []
    for model in models.ALL_MODELS:
        encrypted, hashed = encrypted_fields(model), keyed_hash_fields(model)
        if encrypted or hashed:
            targets.append((model, encrypted, hashed))
    return targets


@contextlib.contextmanager
def _declared_rotation():
    """On PostgreSQL, mark this connection as running the rotation (the audit trigger reads it)."""
    if not is_postgres():
        yield
        return
    database.execute_sql("SET cartwheel.pii_rotation = 'on'")
    try:
        yield
    finally:
        database.execute_sql("RESET cartwheel.pii_rotation")


def rotate_pii(job: Job | None = None, ctx=None, now=None) -> dict:
    """Re-encrypt and re-hash every PII column under the current key.

    Returns `{"kid": current key id, "reencrypted": {table: rows}, "rehashed": {"table.column":
    rows}, "rows": total rewritten}`. Raises models.encryption.DecryptionError when a stored
    value decrypts under no configured key (a key was dropped too early: nothing of that batch
    is written; configure the key again)."""
    reencrypted: dict[str, int] = {}
    rehashed: dict[str, int] = {}
    for model, encrypted, hashed in rotation_targets():
        table = model._meta.table_name
        if encrypted:
            with _declared_rotation():
                reencrypted[table] = reencrypt(model, encrypted)
        for field in hashed:
            rehashed[f"{table}.{field.column_name}"] = rehash(model, field)
    total = sum(reencrypted.values()) + sum(rehashed.values())
    if total:
        log.info("pii rotation: %d rows moved to key %s", total, current_kid())
    return {"kid": current_kid(), "reencrypted": reencrypted, "rehashed": rehashed, "rows": total}
