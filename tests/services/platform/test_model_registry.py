"""The model registry: skops artifacts checked by sha256 and trusted types, lifecycle, rollback."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import config
from ml import artifacts
from models.ml import ModelVersion
from services.errors import Conflict, NotFound
from services.platform import model_registry as registry


@pytest.fixture()
def model_dir(settings, db, tmp_path):
    s = dataclasses.replace(settings, model_dir=str(tmp_path / "models"))
    config.override(s)
    yield tmp_path / "models"
    config.override(settings)


def _model(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] + rng.normal(scale=0.5, size=60) > 0).astype(int)
    return LogisticRegression().fit(x, y)


def _register(kind="fraud", ap=0.5, seed=0):
    return registry.register(kind, _model(seed), {"average_precision": ap}, ["a", "b", "c"],
                             {"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z"}, {"C": 1.0}, trusted=[])


def test_register_saves_a_candidate_with_hash_schema_and_library_versions(model_dir):
    v1 = _register()
    v2 = _register(seed=1)
    assert (v1.version, v2.version) == (1, 2)
    assert v1.status == "candidate" and v1.id.startswith("mdl_")
    assert v1.schema_hash == registry.schema_hash(["a", "b", "c"])
    assert set(v1.library_versions) >= {"sklearn", "numpy", "scipy", "skops"}
    path = registry.artifact_file(v1)
    assert path.parent == model_dir / "fraud" and path.exists()
    assert artifacts.sha256_bytes(path.read_bytes()) == v1.artifact_sha256
    loaded = registry.load(v1, trusted=[])
    x = np.array([[0.3, -1.0, 2.0]])
    assert loaded.predict_proba(x).tolist() == _model(0).predict_proba(x).tolist()


def test_load_refuses_an_artifact_whose_hash_does_not_match(model_dir):
    version = _register()
    path = registry.artifact_file(version)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(registry.ArtifactRejected, match="sha256"):
        registry.load(version, trusted=[])
    with pytest.raises(artifacts.ArtifactIntegrityError):
        artifacts.load_artifact(path, version.artifact_sha256, trusted=[])


def test_load_refuses_untrusted_types_and_blanket_trust(tmp_path):
    import operator

    from sklearn.preprocessing import FunctionTransformer
    obj = FunctionTransformer(func=operator.add)  # operator.add is not trusted by default
    path, digest = artifacts.save_artifact({"x": obj}, tmp_path)
    untrusted = artifacts.UntrustedArtifactError
    with pytest.raises(untrusted) as info:
        artifacts.load_artifact(path, digest, trusted=[])
    assert info.value.untrusted == ["_operator.add"]
    with pytest.raises(TypeError):
        artifacts.load_artifact(path, digest, trusted=True)
    loaded = artifacts.load_artifact(path, digest, trusted=info.value.untrusted)
    assert isinstance(loaded["x"], FunctionTransformer)


def test_register_with_a_trusted_list_refuses_a_model_it_could_not_load_later(model_dir):
    import operator

    from sklearn.preprocessing import FunctionTransformer
    with pytest.raises(registry.ArtifactRejected, match="untrusted"):
        registry.register("fraud", FunctionTransformer(func=operator.add), {}, ["a"], trusted=[])
    assert ModelVersion.select().count() == 0


def test_activate_retires_the_previous_and_rollback_walks_back(model_dir):
    v1, v2, v3 = _register(), _register(seed=1), _register(seed=2)
    other = _register(kind="recommendations")
    registry.activate(other.id)
    assert registry.activate(v1.id).status == "active"
    registry.activate(v2.id)
    registry.activate(v3.id)
    statuses = {v.version: v.status for v in registry.list_versions("fraud")[0]}
    assert statuses == {1: "retired", 2: "retired", 3: "active"}
    assert registry.active("recommendations").id == other.id
    assert registry.rollback("fraud").id == v2.id
    assert ModelVersion.get_by_id(v3.id).status == "retired"
    assert registry.rollback("fraud").id == v1.id
    with pytest.raises(Conflict):
        registry.rollback("fraud")
    assert registry.active("fraud").id == v1.id
    assert ModelVersion.select().where(ModelVersion.status == "active").count() == 2


def test_activating_the_active_version_is_a_no_op_and_unknown_ids_are_not_found(model_dir):
    v1 = _register()
    registry.activate(v1.id)
    again = registry.activate(v1.id)
    assert again.status == "active" and again.previous_version_id is None
    with pytest.raises(NotFound):
        registry.activate("mdl_unknown")
    with pytest.raises(Conflict):
        registry.rollback("recommendations")


def test_reject_marks_a_candidate_only(model_dir):
    v1 = _register()
    rejected = registry.reject(v1.id, "worse than active")
    assert rejected.status == "rejected" and "worse" in rejected.notes
    with pytest.raises(Conflict):
        registry.reject(v1.id)
