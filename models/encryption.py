"""PII encrypted at rest: peewee field types that store AES-256-GCM ciphertext, the keyed hash
used to look such values up, and the re-encryption pass a key rotation runs.

Stored format (text, on SQLite and PostgreSQL alike)::

    v1:<kid>:<base64url(nonce (12 random bytes) + ciphertext + tag (16 bytes)), unpadded>

- AES-256-GCM (`cryptography`'s AESGCM); the associated data is the column, `table.column`,
  so a value copied into another column (or another table's column of the same name) fails
  to decrypt instead of reading as that column's value;
- `kid` names the key: any configured key decrypts (its kid picks it), the first encrypts;
- NULL stays NULL (a missing value is not secret); every other value, "" included, is encrypted.

Keys: `config.get().pii_keys`, `((kid, 32-byte key), ...)` from `PII_ENCRYPTION_KEYS`
(`kid:base64,kid:base64`; the first encrypts). With none configured, one key, kid `k0`, is
derived from `SECRET_KEY` with HKDF-SHA256 (info `b"cartwheel pii"`): an embedded shop is
encrypted without any setting. Changing SECRET_KEY then makes its PII unreadable, so before
changing it set PII_ENCRYPTION_KEYS to a new key followed by `derived_key_entry(old secret)`
(`k0:<base64>`) and run `reencrypt`.

A value that does not decrypt (another key, tampered, moved, not in the format) raises
`DecryptionError` when read: never garbage, never the raw text.

Lookups: `keyed_hash(value)` is HMAC-SHA256 under a key derived from the first PII key (HKDF
info `b"cartwheel pii lookup"`), hex; store it beside the encrypted column and query it. It
changes when the first key changes, so a rotation recomputes such columns too (`rehash`);
until then `lookup_hashes(value)` (the hash under every configured key) still finds them.

Rotation: put the new key first, keep the old ones after it, and let the daily `rotate_pii`
maintenance task (services.platform.pii_rotation) run `reencrypt(model, encrypted_fields(model))`
for each model and `rehash` for each keyed-hash column until both return 0; then the old key
can be dropped.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os

import peewee
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import config
from models.db import atomic

VERSION = "v1"
NONCE_BYTES = 12
DERIVED_KID = "k0"
ENCRYPTION_INFO = b"cartwheel pii"
LOOKUP_INFO = b"cartwheel pii lookup"


class DecryptionError(ValueError):
    """A stored PII value could not be decrypted: unknown key id, tampered or moved ciphertext,
    or a value not in the `v1:<kid>:<data>` format."""


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


@functools.lru_cache(maxsize=8)
def _keyring(secret_key: str, pii_keys: tuple) -> tuple[tuple[tuple[str, AESGCM], ...], dict[str, AESGCM], bytes,
                                                         tuple[bytes, ...]]:
    """((kid, cipher), ...) in order, kid -> cipher, the lookup (HMAC) key, and every key's
    lookup key (the current one first)."""
    keys = tuple(pii_keys) or ((DERIVED_KID, _hkdf(secret_key.encode("utf-8"), ENCRYPTION_INFO)),)
    ciphers = tuple((kid, AESGCM(key)) for kid, key in keys)
    lookups = tuple(_hkdf(key, LOOKUP_INFO) for _, key in keys)
    return ciphers, dict(ciphers), lookups[0], lookups


def keyring():
    """The configured keys: `(((kid, AESGCM), ...), {kid: AESGCM}, lookup key, (every lookup
    key, ...))`; the first encrypts and hashes."""
    settings = config.get()
    return _keyring(settings.secret_key, tuple(settings.pii_keys or ()))


def derived_key_entry(secret_key: str) -> str:
    """The `PII_ENCRYPTION_KEYS` entry (`k0:<base64url key>`) of the key derived from `secret_key`,
    to keep reading what was encrypted under it once real keys are configured."""
    key = _hkdf(secret_key.encode("utf-8"), ENCRYPTION_INFO)
    return f"{DERIVED_KID}:{base64.urlsafe_b64encode(key).decode('ascii')}"


def current_kid() -> str:
    """The id of the key new values are encrypted with (the first configured one, or `k0`)."""
    return keyring()[0][0][0]


def encrypt(plaintext: str, aad: str) -> str:
    """`plaintext` (str) encrypted with the current key, bound to `aad` (a column, `table.column`):
    `v1:<kid>:<base64url(nonce + ciphertext + tag)>`."""
    (kid, cipher), *_ = keyring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode("utf-8"), aad.encode("utf-8"))
    return f"{VERSION}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).rstrip(b'=').decode('ascii')}"


def kid_of(stored: str) -> str | None:
    """The key id a stored value was encrypted with, or None when it is not in the format."""
    version, _, rest = (stored or "").partition(":")
    kid, sep, _ = rest.partition(":")
    return kid if version == VERSION and sep and kid else None


def decrypt(stored: str, aad: str) -> str:
    """The plaintext of a value written by `encrypt(..., aad)`. Raises DecryptionError (unknown
    kid, not the format, wrong `aad`, any changed byte)."""
    version, _, rest = stored.partition(":") if isinstance(stored, str) else ("", "", "")
    kid, _, data = rest.partition(":")
    if version != VERSION or not kid or not data:
        raise DecryptionError(f"{aad}: not an encrypted value")
    cipher = keyring()[1].get(kid)
    if cipher is None:
        raise DecryptionError(f"{aad}: encrypted with key {kid!r}, which is not configured")
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{aad}: malformed ciphertext") from None
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError(f"{aad}: truncated ciphertext")
    try:
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
    except InvalidTag:
        raise DecryptionError(f"{aad}: the value was altered, moved from another column or uses another key") \
            from None
    return plain.decode("utf-8")


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of `value` (str, as given: normalise first, e.g. E.164 for a phone) under the
    lookup key, 64 hex characters: equal values hash alike, and without the key the hash says
    nothing (unlike a plain SHA-256 of a phone number, which is brute-forced in minutes)."""
    return hmac.new(keyring()[2], value.encode("utf-8"), hashlib.sha256).hexdigest()


def lookup_hashes(value: str) -> list[str]:
    """`value`'s keyed hash under every configured key's lookup key, the current one first: query
    `column IN lookup_hashes(v)` so rows hashed before a rotation are still found until
    `rehash` has rewritten them."""
    data = value.encode("utf-8")
    return list(dict.fromkeys(hmac.new(key, data, hashlib.sha256).hexdigest() for key in keyring()[3]))


class EncryptedTextField(peewee.TextField):
    """A text column holding `encrypt(value, "table.column")`; reads decrypt (DecryptionError
    when that fails). Not queryable by value: compare a `keyed_hash` column instead."""

    def aad(self) -> str:
        return f"{self.model._meta.table_name}.{self.column_name}"

    def encode(self, value):
        return str(value)

    def decode(self, text: str):
        return text

    def db_value(self, value):
        if value is None:
            return None
        return encrypt(self.encode(value), self.aad())

    def python_value(self, value):
        if value is None:
            return None
        return self.decode(decrypt(value, self.aad()))


class EncryptedJSONField(EncryptedTextField):
    """An encrypted JSON document (dict, list, str, number or bool; None is SQL NULL)."""

    def encode(self, value):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def decode(self, text: str):
        return json.loads(text)


class KeyedHashField(peewee.CharField):
    """The `keyed_hash` (64 hex) of the encrypted field named `source` of the same model: the
    column lookups query. `rehash` recomputes it after a key rotation (`keyed_hash_fields` finds
    every such column)."""

    def __init__(self, source: str, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.source = source


def keyed_hash_fields(model: type[peewee.Model]) -> list[KeyedHashField]:
    """Every keyed-hash field of `model` (what a rotation passes to `rehash`)."""
    return [f for f in model._meta.sorted_fields if isinstance(f, KeyedHashField)]


def encrypted_fields(model: type[peewee.Model]) -> list[EncryptedTextField]:
    """Every encrypted field of `model`, in declaration order (what a rotation passes to `reencrypt`)."""
    return [f for f in model._meta.sorted_fields if isinstance(f, EncryptedTextField)]


def reencrypt(model: type[peewee.Model], fields, batch: int = 500) -> int:
    """Rewrite every row of `model` whose `fields` (encrypted fields of it) hold a value under a
    key other than the current one, so that they are encrypted with the current key. Rows are
    read in primary-key order, `batch` at a time, each batch in its own transaction; a row
    changed meanwhile (its stored values no longer the ones read) is left for the next run.
    Returns the number of rows rewritten (0: nothing left under an old key).
    Raises DecryptionError for a value no configured key decrypts (nothing of its batch is written)."""
    fields = list(fields)
    for field in fields:
        if not isinstance(field, EncryptedTextField) or field.model is not model:
            raise ValueError(f"{field!r} is not an encrypted field of {model.__name__}")
    pk = model._meta.primary_key
    prefix = f"{VERSION}:{current_kid()}:"
    stale = None
    for field in fields:
        raw = field.coerce(False)
        condition = raw.is_null(False) & (peewee.fn.SUBSTR(raw, 1, len(prefix)) != prefix)
        stale = condition if stale is None else (stale | condition)
    rewritten = 0
    for rows in _batches(model.select(pk, *[f.coerce(False) for f in fields]).where(stale), pk, batch):
        for row_id, *stored in rows:
            changes = {f: f.python_value(value) for f, value in zip(fields, stored) if value is not None
                       and not value.startswith(prefix)}
            unchanged = [f.is_null() if value is None
                         else (f.coerce(False) == peewee.Value(value, converter=False))
                         for f, value in zip(fields, stored)]
            rewritten += model.update(changes).where(pk == row_id, *unchanged).execute()
    return rewritten


def _batches(query: peewee.SelectQuery, pk: peewee.Field, size: int):
    """The rows (tuples, primary key first) of `query` in primary-key order, `size` at a time;
    each batch is yielded inside its own transaction (the caller's writes for it commit together)."""
    last = None
    while True:
        page = query.where(pk > last) if last is not None else query
        rows = list(page.order_by(pk).limit(size).tuples())
        if not rows:
            return
        with atomic():
            yield rows
        last = rows[-1][0]


def rehash(model: type[peewee.Model], hash_field: KeyedHashField, batch: int = 500) -> int:
    """Recompute `hash_field` = `keyed_hash(value of its source field)` for every row of `model`
    whose stored hash is not the current key's (after a rotation put a new key first), `batch` rows per
    transaction in primary-key order; rows whose hash column is NULL are left alone (NULL means
    "not a lookup identity", e.g. a duplicate phone). A row changed meanwhile is left for the
    next run. Returns the number of rows rewritten (0: every hash is current)."""
    source = model._meta.fields[hash_field.source]
    pk = model._meta.primary_key
    rewritten = 0
    query = model.select(pk, source.coerce(False), hash_field).where(hash_field.is_null(False), source.is_null(False))
    for rows in _batches(query, pk, batch):
        for row_id, stored, digest in rows:
            current = keyed_hash(source.python_value(stored))
            if current != digest:
                rewritten += model.update({hash_field: current}).where(pk == row_id, hash_field == digest).execute()
    return rewritten
