"""PII key rotation (issue 8): the `rotate_pii` maintenance task moves every encrypted column and
every keyed hash to the current key, phone lookups work during the rotation, a second run has
nothing to do, and the append-only audit log lets only the rotation's re-encryption through."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import peewee
import pytest

import config
from models.audit import AuditEntry
from models.db import database, is_postgres
from models.profiles import CustomerProfile
from models.users import User
from services import customers, maintenance
from services.customers.phone_identity import find_by_phone
from services.platform import audit, pii_rotation
from tests.conftest import TEST_DATABASE_URL
from tests.factories import quick_user

OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)


def use_keys(settings, *keys):
    config.override(dataclasses.replace(settings, pii_keys=tuple(keys)))


def stored(sql):
    return [value for row in database.execute_sql(sql).fetchall() for value in row if value is not None]


def test_rotation_moves_everything_to_the_new_key_and_lookups_work_throughout(db, settings):
    use_keys(settings, ("old", OLD_KEY))
    phones = ["+962791000001", "+962791000002", "+962791000003"]
    users = [customers.register_user(f"rotate-{i}@example.com", "correct-horse-9", phone=phone)
             for i, phone in enumerate(phones)]
    customers.update_profile(users[0], {"date_of_birth": dt.date(1990, 5, 1), "skin_type": "oily"})
    audit.record(action="PUT /api/v1/customers/x", status=200, actor_id=users[0].id, actor_role="staff",
                 before={"phone": phones[0]}, after={"phone": phones[1]})
    old_hashes = stored('SELECT phone_hash FROM "user"')

    use_keys(settings, ("new", NEW_KEY), ("old", OLD_KEY))
    assert find_by_phone(phones[1]).id == users[1].id  # found by the old key's hash before the rehash

    result = pii_rotation.rotate_pii()
    assert result["kid"] == "new"
    assert result["reencrypted"]["user"] == 3 and result["reencrypted"]["customer_profile"] == 1
    assert result["reencrypted"]["audit_entry"] == 1 and result["rehashed"]["user.phone_hash"] == 3
    assert pii_rotation.rotate_pii()["rows"] == 0  # nothing left under the old key

    assert all(v.startswith("v1:new:") for v in stored('SELECT phone FROM "user"'))
    assert all(v.startswith("v1:new:") for v in stored("SELECT before, after FROM audit_entry"))
    assert not set(old_hashes) & set(stored('SELECT phone_hash FROM "user"'))
    use_keys(settings, ("new", NEW_KEY))  # the old key can go: everything reads and is found
    assert [find_by_phone(p).id for p in phones] == [u.id for u in users]
    assert CustomerProfile.get_by_id(users[0].id).skin_type == "oily"
    entry = AuditEntry.get()
    assert (entry.before, entry.after) == ({"phone": phones[0]}, {"phone": phones[1]})


def test_the_maintenance_task_runs_the_rotation(db, settings):
    use_keys(settings, ("old", OLD_KEY))
    customers.register_user("rotate-task@example.com", "correct-horse-9", phone="+962791000009")
    use_keys(settings, ("new", NEW_KEY), ("old", OLD_KEY))
    job = maintenance.schedule_task("rotate_pii", "2026-12-01", dt.datetime(2026, 12, 2))
    result = maintenance.run_maintenance(job, None)
    assert result["task"] == "rotate_pii" and result["reencrypted"]["user"] == 1 and result["rows"] == 2


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="the append-only trigger is PostgreSQL's")
def test_the_audit_log_stays_append_only_outside_the_rotation(db):
    assert is_postgres()
    user = quick_user()
    audit.record(action="PUT /api/v1/x", status=200, actor_id=user.id, actor_role="staff", before={"a": 1})
    with pytest.raises(peewee.DatabaseError):
        with database.atomic():
            AuditEntry.update(before={"a": 2}).execute()
    database.execute_sql("SET cartwheel.pii_rotation = 'on'")
    try:
        with pytest.raises(peewee.DatabaseError):  # even a rotation may change only before / after
            with database.atomic():
                AuditEntry.update(action="DELETE /api/v1/x").execute()
        with pytest.raises(peewee.DatabaseError):
            with database.atomic():
                AuditEntry.delete().execute()
    finally:
        database.execute_sql("RESET cartwheel.pii_rotation")
    assert AuditEntry.get().action == "PUT /api/v1/x" and User.get_by_id(user.id)
