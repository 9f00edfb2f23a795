"""The audit log: one append-only row per staff, courier, admin or API-key write.

On PostgreSQL a trigger (migration 0010) refuses UPDATE and DELETE on the table, so no
row can be rewritten or removed through the application; on SQLite (embedded) the
application only ever inserts.
"""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow
from models.encryption import EncryptedJSONField


class AuditEntry(BaseModel):
    """Who (`actor_id`, `actor_role`, or `api_key_id`), did what (`action`: `METHOD /url/rule`),
    to what (`target_type`, `target_id`), with which effect (`before`, `after`: the target's
    API view before the write and the write's answer, secrets masked, encrypted at rest like other
    personal data: models.encryption), from where
    (`request_id`, `ip`) and when (`created_at`, UTC). `status` is the HTTP status answered."""

    id = PrefixedIdField("aud")
    actor_id = peewee.CharField(max_length=40, null=True, index=True)
    actor_role = peewee.CharField(max_length=16, null=True)
    api_key_id = peewee.CharField(max_length=40, null=True, index=True)
    action = peewee.CharField(max_length=200, index=True)
    target_type = peewee.CharField(max_length=40, null=True)
    target_id = peewee.CharField(max_length=100, null=True)
    status = peewee.IntegerField()
    before = EncryptedJSONField(null=True)  # views hold personal data (addresses, phones): encrypted at rest
    after = EncryptedJSONField(null=True)
    request_id = peewee.CharField(max_length=64, null=True)
    ip = peewee.CharField(max_length=45, null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "audit_entry"
        indexes = ((("target_type", "target_id"), False),)
