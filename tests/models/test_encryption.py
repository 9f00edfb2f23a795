"""PII at rest (models.encryption): values round-trip, the raw column holds only
`v1:<kid>:<ciphertext>`, a value cannot be moved to another column or altered unnoticed, keys
rotate (old ones still decrypt, `reencrypt` moves rows to the new one), and lookups go
through a keyed hash. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import os

import pytest

import config
from models.db import database
from models.encryption import (DecryptionError, current_kid, decrypt, derived_key_entry, encrypt, encrypted_fields,
                               keyed_hash, reencrypt)
from models.profiles import CustomerAddress, CustomerProfile
from tests.factories import quick_user

OLD_KEY, NEW_KEY = os.urandom(32), os.urandom(32)


def use_keys(settings, *keys):
    config.override(dataclasses.replace(settings, pii_keys=tuple(keys)))


def raw(sql, *params):
    return database.execute_sql(sql.replace("?", database.param), params).fetchone()


def make_profile(**fields):
    user = quick_user()
    CustomerProfile.create(user=user.id, **fields)
    return user


def make_address(user, **fields):
    values = dict(first_name="Layla", last_name="Haddad", street="Queen Rania Street", city="Amman", country="JO",
                  phone="+962791234567", postal_code="11118")
    values.update(fields)
    return CustomerAddress.create(user=user.id, **values)


def test_encrypted_fields_round_trip(db):
    user = make_profile(date_of_birth="1990-01-15", skin_type="combination", skin_concerns=["acne", "dark-spots"],
                        location={"city": "Amman", "country": "JO", "coordinates": [35.93, 31.95]})
    profile = CustomerProfile.get_by_id(user.id)
    assert profile.date_of_birth == "1990-01-15" and profile.skin_type == "combination"
    assert profile.skin_concerns == ["acne", "dark-spots"]
    assert profile.location == {"city": "Amman", "country": "JO", "coordinates": [35.93, 31.95]}
    address = CustomerAddress.get_by_id(make_address(user, company="").id)
    assert (address.street, address.phone, address.first_name, address.company) == \
        ("Queen Rania Street", "+962791234567", "Layla", "")
    assert CustomerAddress.get_by_id(make_address(user, building=None).id).building is None


def test_the_raw_columns_hold_no_plaintext(db):
    user = make_profile(date_of_birth="1990-01-15", skin_type="sensitive", skin_concerns=["rosacea"],
                        location={"city": "Amman"})
    stored = raw("SELECT date_of_birth, skin_type, skin_concerns, location FROM customer_profile WHERE user_id = ?",
                 user.id)
    for value, plaintext in zip(stored, ("1990-01-15", "sensitive", "rosacea", "Amman")):
        assert value.startswith(f"v1:{current_kid()}:") and plaintext not in value
    address = make_address(user)
    stored = raw("SELECT first_name, last_name, street, phone, postal_code, city FROM customer_address WHERE id = ?",
                 address.id)
    for value, plaintext in zip(stored[:5], ("Layla", "Haddad", "Queen Rania", "962791234567", "11118")):
        assert value.startswith("v1:") and plaintext not in value
    assert stored[5] == "Amman"  # the city stays plain (shipping zones)
    # one value encrypted twice differs (random nonce): equal ciphertexts reveal nothing
    assert encrypt("1990-01-15", "customer_profile.date_of_birth") != encrypt("1990-01-15",
                                                                             "customer_profile.date_of_birth")


def test_a_value_moved_to_another_column_does_not_decrypt(db):
    user = make_profile(date_of_birth="1990-01-15", skin_type="dry")
    database.execute_sql("UPDATE customer_profile SET date_of_birth = skin_type")
    with pytest.raises(DecryptionError):
        CustomerProfile.get_by_id(user.id)
    address = make_address(user)
    database.execute_sql("UPDATE customer_address SET last_name = first_name")
    with pytest.raises(DecryptionError):
        CustomerAddress.get_by_id(address.id)


@pytest.mark.parametrize("tamper", [
    lambda v: v[:-2] + ("A" if v[-2] != "A" else "B") + v[-1],  # one ciphertext/tag character changed
    lambda v: v[:10] + ("A" if v[10] != "A" else "B") + v[11:],  # the nonce changed
    lambda v: v.replace("v1:", "v2:", 1),
    lambda v: "v1:unknown:" + v.split(":", 2)[2],
    lambda v: v[:20],  # truncated
    lambda v: "1990-01-15",  # plaintext written behind our back
])
def test_a_tampered_value_raises_instead_of_reading_garbage(db, tamper):
    user = make_profile(date_of_birth="1990-01-15")
    (value,) = raw("SELECT date_of_birth FROM customer_profile WHERE user_id = ?", user.id)
    database.execute_sql(f"UPDATE customer_profile SET date_of_birth = {database.param}", (tamper(value),))
    with pytest.raises(DecryptionError):
        CustomerProfile.get_by_id(user.id)


def test_decrypt_checks_the_associated_data():
    sealed = encrypt("secret", "customer_address.street")
    assert decrypt(sealed, "customer_address.street") == "secret"
    with pytest.raises(DecryptionError):
        decrypt(sealed, "customer_address.phone")


def test_keys_rotate_and_reencrypt_moves_old_rows_to_the_new_key(db, settings):
    use_keys(settings, ("old", OLD_KEY))
    old_users = [make_profile(date_of_birth=f"199{i}-01-15", skin_type="oily") for i in range(5)]
    address = make_address(old_users[0])
    blank = make_profile()  # nothing encrypted: nothing to rewrite
    use_keys(settings, ("new", NEW_KEY), ("old", OLD_KEY))
    assert current_kid() == "new"
    assert CustomerProfile.get_by_id(old_users[3].id).date_of_birth == "1993-01-15"  # old key still decrypts
    new_user = make_profile(date_of_birth="2000-02-29")
    assert raw("SELECT date_of_birth FROM customer_profile WHERE user_id = ?", new_user.id)[0].startswith("v1:new:")

    fields = [CustomerProfile.date_of_birth, CustomerProfile.skin_type, CustomerProfile.location]
    assert reencrypt(CustomerProfile, fields, batch=2) == 5
    assert reencrypt(CustomerProfile, fields, batch=2) == 0
    assert reencrypt(CustomerAddress, encrypted_fields(CustomerAddress)) == 1
    stored = database.execute_sql("SELECT date_of_birth, skin_type FROM customer_profile "
                                  "WHERE date_of_birth IS NOT NULL").fetchall()
    assert len(stored) == 6 and all(v.startswith("v1:new:") for row in stored for v in row if v is not None)
    assert raw("SELECT date_of_birth FROM customer_profile WHERE user_id = ?", blank.id)[0] is None

    use_keys(settings, ("new", NEW_KEY))  # the old key is gone: everything still reads
    assert [CustomerProfile.get_by_id(u.id).date_of_birth for u in old_users] == \
        [f"199{i}-01-15" for i in range(5)]
    assert CustomerAddress.get_by_id(address.id).street == "Queen Rania Street"
    use_keys(settings, ("old", OLD_KEY))  # and the new key was really used
    with pytest.raises(DecryptionError):
        CustomerProfile.get_by_id(old_users[0].id)


def test_the_encrypted_fields_of_a_model_are_its_pii_columns():
    assert [f.name for f in encrypted_fields(CustomerProfile)] == ["date_of_birth", "location", "skin_type",
                                                                   "skin_concerns"]
    assert {f.name for f in encrypted_fields(CustomerAddress)} == {"first_name", "last_name", "company", "street",
                                                                   "building", "apartment", "postal_code", "phone"}


def test_reencrypt_refuses_fields_of_another_model_or_plain_fields(db):
    with pytest.raises(ValueError):
        reencrypt(CustomerProfile, [CustomerAddress.street])
    with pytest.raises(ValueError):
        reencrypt(CustomerProfile, [CustomerProfile.gender])


def test_without_configured_keys_one_is_derived_from_the_secret_key(db, settings):
    assert settings.pii_keys == () and current_kid() == "k0"
    user = make_profile(skin_type="normal")
    # the derived key, configured explicitly behind a new first key, still reads what it wrote
    entry = config._keys({"K": derived_key_entry(settings.secret_key)}, "K")
    use_keys(settings, ("k1", NEW_KEY), *entry)
    assert CustomerProfile.get_by_id(user.id).skin_type == "normal"
    config.override(dataclasses.replace(settings, secret_key="another-secret-key-0123456789-0123456789"))
    with pytest.raises(DecryptionError):  # another SECRET_KEY derives another key
        CustomerProfile.get_by_id(user.id)


def test_keyed_hash_is_stable_keyed_and_follows_the_first_key(settings):
    use_keys(settings, ("a", OLD_KEY))
    first = keyed_hash("+962791234567")
    assert first == keyed_hash("+962791234567") and len(first) == 64 and int(first, 16) >= 0
    assert first != keyed_hash("+962791234568")
    assert first != hashlib.sha256(b"+962791234567").hexdigest()
    use_keys(settings, ("b", NEW_KEY), ("a", OLD_KEY))
    assert keyed_hash("+962791234567") != first


def test_the_stored_format_is_versioned_with_the_key_id_and_a_12_byte_nonce(settings):
    use_keys(settings, ("kid7", NEW_KEY))
    version, kid, data = encrypt("x" * 10, "t.c").split(":")
    blob = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    assert (version, kid) == ("v1", "kid7") and len(blob) == 12 + 10 + 16  # nonce + ciphertext + GCM tag
    assert "=" not in data and "+" not in data and "/" not in data


def test_dates_are_stored_as_iso_text(db):
    user = make_profile(date_of_birth=dt.date(1990, 1, 15).isoformat())
    assert CustomerProfile.get_by_id(user.id).date_of_birth == "1990-01-15"
