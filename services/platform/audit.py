"""The audit log (DESIGN.md section 10): `record` appends one entry per staff, courier, admin
or API-key write; `list_entries` reads them back for admins, newest first.

Values are stored with secrets masked (`mask`: any key named like password, token, secret,
authorization, api key, OTP or recovery code becomes "***", at any depth) and bounded (`MAX_VALUE_CHARS` of JSON
per value; a longer one is replaced by {"truncated": true, "chars": n}).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from models.audit import AuditEntry
from models.db import isoformat

MAX_VALUE_CHARS = 20_000
SECRET_KEY_PATTERN = re.compile(r"passw(or)?d|token|secret|authori[sz]ation|api[-_]?key|^otp|otp[-_]?code|recovery[-_]?codes?",
                                re.IGNORECASE)


def mask(value):
    """`value` with every dict entry whose key looks secret replaced by "***" (recursively)."""
    if isinstance(value, dict):
        return {k: "***" if SECRET_KEY_PATTERN.search(str(k)) else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def _bounded(value):
    if value is None:
        return None
    value = mask(value)
    size = len(json.dumps(value, default=str))
    return value if size <= MAX_VALUE_CHARS else {"truncated": True, "chars": size}


def record(*, action: str, status: int, actor_id: str | None = None, actor_role: str | None = None,
           api_key_id: str | None = None, target_type: str | None = None, target_id: str | None = None,
           before=None, after=None, request_id: str | None = None, ip: str | None = None) -> AuditEntry:
    """Append an entry (see models.audit.AuditEntry for the fields)."""
    return AuditEntry.create(actor_id=actor_id, actor_role=actor_role, api_key_id=api_key_id, action=action[:200],
                             target_type=target_type, target_id=(target_id or None) and target_id[:100],
                             status=status, before=_bounded(before), after=_bounded(after),
                             request_id=request_id, ip=ip)


def list_entries(actor_id: str | None = None, action: str | None = None, target_type: str | None = None,
                 target_id: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
                 page: int = 1, limit: int = 50) -> tuple[list[AuditEntry], int]:
    """A page of entries matching the filters (`action`: a substring, e.g. "PUT" or "/role"),
    newest first, and the total matching."""
    query = AuditEntry.select()
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action:
        query = query.where(AuditEntry.action.contains(action))
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at < until)
    rows = list(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).paginate(page, limit))
    return rows, query.count()


def entry_view(entry: AuditEntry) -> dict:
    """API shape: {"id", "actor": {"id", "role", "apiKeyId"}, "action", "target": {"type", "id"},
    "status", "before", "after", "requestId", "ip", "createdAt"}."""
    return {"id": entry.id, "actor": {"id": entry.actor_id, "role": entry.actor_role, "apiKeyId": entry.api_key_id},
            "action": entry.action, "target": {"type": entry.target_type, "id": entry.target_id},
            "status": entry.status, "before": entry.before, "after": entry.after, "requestId": entry.request_id,
            "ip": entry.ip, "createdAt": isoformat(entry.created_at)}
