"""The model registry: register, activate, roll back and load trained models.

Shared by every model kind ("fraud", "recommendations", ...). Artifacts are
skops files under `MODEL_DIR/<kind>/` (see ml.artifacts); a `ModelVersion` row
(models.ml) records version, status, metrics, feature list + schema hash,
artifact sha256, library versions, training window and parameters.

Lifecycle: `register` -> candidate; `activate` -> active (the previously active
version of the kind becomes retired, in the same transaction); `reject` ->
rejected (e.g. worse than the active model); `rollback(kind)` re-activates the
version that was active before the current one. Loading always verifies the
artifact's sha256 first and trusts only the types the caller lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import peewee

import config
from ml import artifacts
from models.db import atomic, database, is_postgres, utcnow
from models.ml import MODEL_STATUSES, ModelVersion
from services.errors import Conflict, DomainError, NotFound, ValidationFailed

log = logging.getLogger(__name__)

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ArtifactRejected(DomainError):
    """The artifact failed its integrity or trusted-type check (never retried)."""

    status = 409
    code = "CONFLICT"
    reason = "artifact_rejected"


def schema_hash(features: list) -> str:
    """sha256 hex of the feature list/schema as canonical JSON (order matters: it is the column order)."""
    canonical = json.dumps(features, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise ValidationFailed("Unknown model kind", reason="invalid_model_kind",
                               details=[{"field": "kind", "message": "Use lowercase letters, digits and _"}])


def _model_root() -> Path:
    return Path(config.get().model_dir)


def artifact_file(version: ModelVersion) -> Path:
    """Absolute path of a version's artifact (relative paths resolve against MODEL_DIR)."""
    path = Path(version.artifact_path)
    return path if path.is_absolute() else _model_root() / path


def _stored_path(path: str) -> str:
    root = _model_root().resolve()
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(Path(path).resolve())


def register(kind: str, obj, metrics: dict, features: list, training_window: dict | None = None,
             params: dict | None = None, trusted: list[str] | None = None, notes: str = "") -> ModelVersion:
    """Save `obj` as a new candidate version of `kind` and return its row.

    - `metrics`: dict of evaluation results (JSON-serialisable numbers/strings).
    - `features`: the ordered list of feature names (or dicts describing them).
    - `training_window`: {"from": iso datetime, "to": iso datetime} of the data used.
    - `params`: hyper-parameters and other training settings.
    - `trusted`: when given, the artifact is immediately re-loaded through
      `load_artifact` with this list, so a model that could not be loaded later
      is refused now (ArtifactRejected) instead of being registered.

    The version number is the kind's highest + 1 (unique per kind; concurrent
    registrations retry). Raises ValidationFailed for a malformed kind.
    """
    _check_kind(kind)
    path, digest = artifacts.save_artifact(obj, _model_root() / kind)
    if trusted is not None:
        try:
            artifacts.load_artifact(path, digest, trusted)
        except artifacts.ArtifactError as exc:
            if not ModelVersion.select().where(ModelVersion.artifact_sha256 == digest).exists():
                Path(path).unlink(missing_ok=True)
            raise ArtifactRejected(str(exc)) from None
    row = dict(kind=kind, metrics=_jsonable(metrics or {}), features=list(features),
               schema_hash=schema_hash(list(features)), artifact_path=_stored_path(path), artifact_sha256=digest,
               library_versions=artifacts.library_versions(), training_window=_jsonable(training_window or {}),
               params=_jsonable(params or {}), notes=notes or "", status="candidate")
    for attempt in range(5):
        try:
            with atomic():
                latest = (ModelVersion.select(peewee.fn.MAX(ModelVersion.version))
                          .where(ModelVersion.kind == kind).scalar()) or 0
                return ModelVersion.create(version=latest + 1, **row)
        except peewee.IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _jsonable(value):
    """Round-trip through JSON so numpy scalars and the like become plain Python values."""
    def default(o):
        if hasattr(o, "item"):
            return o.item()
        if hasattr(o, "isoformat"):
            return o.isoformat()
        if hasattr(o, "tolist"):
            return o.tolist()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    return json.loads(json.dumps(value, default=default, allow_nan=False))


def get_version(version_id: str, kind: str | None = None) -> ModelVersion:
    """The version with `version_id` (of `kind` when given). Raises NotFound."""
    query = ModelVersion.select().where(ModelVersion.id == version_id)
    if kind is not None:
        query = query.where(ModelVersion.kind == kind)
    row = query.first()
    if row is None:
        raise NotFound("Model version not found", reason="model_version_not_found")
    return row


def _lock_kind(kind: str) -> None:
    """Serialise activations of one kind (PostgreSQL: transaction advisory lock;
    SQLite: `atomic()` already holds the database write lock)."""
    if is_postgres():
        key = int.from_bytes(hashlib.sha256(f"model_registry:{kind}".encode()).digest()[:8], "big", signed=True)
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


def _activate_locked(target: ModelVersion, previous_id: str | None, note: str | None) -> ModelVersion:
    now = utcnow()
    ModelVersion.update(status="retired").where(ModelVersion.kind == target.kind, ModelVersion.status == "active",
                                                ModelVersion.id != target.id).execute()
    changes = {"status": "active", "activated_at": now}
    if previous_id is not ...:
        changes["previous_version_id"] = previous_id
    if note:
        changes["notes"] = (target.notes + "\n" if target.notes else "") + note
    ModelVersion.update(**changes).where(ModelVersion.id == target.id).execute()
    return ModelVersion.get_by_id(target.id)


def activate(version_id: str, kind: str | None = None, note: str | None = None) -> ModelVersion:
    """Make `version_id` the active version of its kind, in one transaction.

    The previously active version (if any) becomes `retired` and is remembered
    as this version's `previous_version_id` (what `rollback` returns to).
    Activating the already-active version is a no-op. Any other status
    (candidate, retired, rejected) may be activated: it is an explicit admin
    decision. Raises NotFound.
    """
    with atomic():
        target = get_version(version_id, kind)
        _lock_kind(target.kind)
        target = ModelVersion.get_by_id(target.id)
        if target.status == "active":
            return target
        current = active(target.kind)
        return _activate_locked(target, current.id if current else None, note)


def reject(version_id: str, note: str = "") -> ModelVersion:
    """Mark a candidate `rejected` (never activated automatically), appending `note`.
    Raises NotFound, or Conflict when the version is not a candidate."""
    with atomic():
        target = get_version(version_id)
        if target.status != "candidate":
            raise Conflict(f"Only a candidate can be rejected (this one is {target.status})",
                           reason="model_version_not_candidate")
        notes = (target.notes + "\n" if target.notes else "") + note if note else target.notes
        ModelVersion.update(status="rejected", notes=notes).where(ModelVersion.id == target.id).execute()
        return ModelVersion.get_by_id(target.id)


def rollback(kind: str) -> ModelVersion:
    """Re-activate the version that was active before the current one of `kind`.

    The current version becomes `retired` (noted "rolled back"); the restored
    one keeps its own `previous_version_id`, so repeated rollbacks walk back
    through the activation history. Returns the restored version. Raises
    Conflict when there is no active version or nothing to roll back to.
    """
    _check_kind(kind)
    with atomic():
        _lock_kind(kind)
        current = active(kind)
        if current is None:
            raise Conflict("No active model to roll back", reason="no_active_model")
        previous = ModelVersion.get_or_none(ModelVersion.id == current.previous_version_id) \
            if current.previous_version_id else None
        if previous is None:
            raise Conflict("No previous model version to roll back to", reason="no_previous_model")
        ModelVersion.update(status="retired",
                            notes=(current.notes + "\n" if current.notes else "") + f"rolled back at {utcnow().isoformat()}Z"
                            ).where(ModelVersion.id == current.id).execute()
        return _activate_locked(previous, ..., f"restored by rollback of v{current.version}")


def active(kind: str) -> ModelVersion | None:
    """The active version of `kind`, or None."""
    return ModelVersion.select().where(ModelVersion.kind == kind, ModelVersion.status == "active").first()


def list_versions(kind: str | None = None, status: str | None = None, page: int = 1,
                  limit: int = 100) -> tuple[list[ModelVersion], int]:
    """Versions of `kind` (all kinds when None), newest first; returns (rows, total)."""
    query = ModelVersion.select()
    if kind is not None:
        query = query.where(ModelVersion.kind == kind)
    if status is not None:
        if status not in MODEL_STATUSES:
            raise ValidationFailed("Unknown status", reason="invalid_status")
        query = query.where(ModelVersion.status == status)
    total = query.count()
    rows = list(query.order_by(ModelVersion.kind, ModelVersion.version.desc()).paginate(page, limit))
    return rows, total


def load(version: ModelVersion | str, trusted: list[str]):
    """Load a version's model object after checking its artifact.

    `version` is a ModelVersion or its id; `trusted` the explicit list of
    fully qualified type names the caller accepts beyond skops' defaults.
    The file's sha256 must equal `artifact_sha256` (checked before parsing).
    Raises NotFound, ArtifactRejected (hash mismatch, untrusted types, unreadable
    file). Logs a warning when the training library versions differ from now.
    """
    if isinstance(version, str):
        version = get_version(version)
    try:
        obj = artifacts.load_artifact(artifact_file(version), version.artifact_sha256, trusted)
    except artifacts.ArtifactError as exc:
        raise ArtifactRejected(str(exc)) from None
    now = artifacts.library_versions()
    trained = version.library_versions or {}
    differing = {k: (trained.get(k), v) for k, v in now.items() if k != "python" and trained.get(k) not in (None, v)}
    if differing:
        log.warning("model %s (%s v%s) was trained with different library versions: %s",
                    version.id, version.kind, version.version, differing)
    return obj


def to_dict(version: ModelVersion) -> dict:
    """The API shape of a version (camelCase keys, ISO times)."""
    from models.db import isoformat

    return {
        "id": version.id, "kind": version.kind, "version": version.version, "status": version.status,
        "metrics": version.metrics, "features": version.features, "schemaHash": version.schema_hash,
        "artifactSha256": version.artifact_sha256, "libraryVersions": version.library_versions,
        "trainingWindow": version.training_window, "params": version.params,
        "previousVersionId": version.previous_version_id, "notes": version.notes,
        "createdAt": isoformat(version.created_at), "activatedAt": isoformat(version.activated_at),
    }
