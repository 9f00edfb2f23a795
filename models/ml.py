"""The model registry: one row per trained model version (issue 3).

A `ModelVersion` records everything needed to reproduce, audit and safely load
a model: the kind ("fraud", "recommendations", ...), a per-kind increasing
version number, its lifecycle status, the evaluation metrics, the feature list
and its schema hash, the artifact (a skops file under `MODEL_DIR/<kind>/`) with
its sha256, the library versions it was trained with, the training window and
the hyper-parameters. At most one version per kind is `active` (a partial
unique index created by migration 0003 enforces it).
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow

MODEL_STATUSES = ("candidate", "active", "retired", "rejected")


class ModelVersion(BaseModel):
    """A trained model version.

    - `status`: candidate (registered, never active) -> active -> retired;
      rejected when training found it worse than the active model.
    - `metrics`: JSON dict of evaluation metrics (names in the field's standard
      terms, e.g. `average_precision`, `ndcg_at_10`).
    - `features`: JSON list of the input feature names, in column order;
      `schema_hash` is sha256 of that list (see services.platform.model_registry.schema_hash).
    - `artifact_path`: path of the skops file, relative to MODEL_DIR (absolute if
      it was saved outside it); `artifact_sha256` its hex digest, checked before loading.
    - `library_versions`: {"python", "sklearn", "numpy", "scipy", "skops"}.
    - `training_window`: {"from": iso, "to": iso} of the data used.
    - `previous_version_id`: the version that was active when this one was
      activated (what `rollback` returns to).
    """

    id = PrefixedIdField("mdl")
    kind = peewee.CharField(max_length=32, index=True)
    version = peewee.IntegerField()
    status = peewee.CharField(max_length=16, default="candidate", index=True)
    metrics = JSONField(default=dict)
    features = JSONField(default=list)
    schema_hash = peewee.CharField(max_length=64)
    artifact_path = peewee.CharField(max_length=500)
    artifact_sha256 = peewee.CharField(max_length=64)
    library_versions = JSONField(default=dict)
    training_window = JSONField(default=dict)
    params = JSONField(default=dict)
    previous_version_id = peewee.CharField(max_length=40, null=True)
    notes = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    activated_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("kind", "version"), True),)
