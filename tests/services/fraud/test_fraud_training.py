"""Fraud training on the SYNTHETIC history: one feature function for training and scoring,
the trained model beats the logistic baseline and the rules, a worse model is not activated."""

import random

import peewee
import pytest

from models.fraud import FraudLabel, FraudSignal
from models.ml import ModelVersion
from models.orders import Order
from services import fraud
from services.platform import model_registry
from tests.factories import make_user, place, token_for


@pytest.fixture()
def history(db):
    return fraud.generate_demo_history(customers=400, days=120, seed=3)


def test_demo_history_is_labelled_and_marked_synthetic(history):
    assert history["orders"] > 1000 and history["fraud"] > 40
    assert Order.select().where(~Order.notes.contains("SYNTHETIC")).count() == 0
    assert FraudLabel.select().count() == history["fraud"]
    assert FraudSignal.select().count() == history["orders"]


def test_scoring_and_training_compute_the_same_features(history):
    ids = [o.id for o in Order.select(Order.id).order_by(Order.created_at)]
    sample = random.Random(1).sample(ids, 60) + ids[-5:]
    # include orders that share keys (card-testing bursts, reshipping addresses) with earlier ones
    busy = (FraudSignal.select(FraudSignal.order).where(FraudSignal.shipping_key.in_(
        FraudSignal.select(FraudSignal.shipping_key).group_by(FraudSignal.shipping_key)
        .having(peewee.fn.COUNT(FraudSignal.order) > 2))).limit(40))
    sample += [s.order_id for s in busy]
    training_rows = dict(zip(sample, fraud.features_for_training(sample)))
    for order_id in sample:
        assert fraud.features_for_scoring(order_id) == training_rows[order_id], order_id
    # a batch of fraud_score jobs reads one history for all its orders: the same features
    assert fraud.features_for_scoring_many(sample) == training_rows
    assert any(row["orders_address_7d"] for row in training_rows.values())
    assert any(row["failed_payments_ip_1h"] for row in training_rows.values())


def _train(api, token, body=None):
    status, resp, headers = api.post("/api/v1/admin/ml/fraud/train", body or {}, token=token)
    assert status == 202, resp
    assert headers["Location"] == f"/api/v1/jobs/{resp['data']['id']}"
    job = api.wait_job(resp["data"]["id"], token=token, timeout=180)
    assert job["state"] == "succeeded", job
    return job["result"]


def test_trained_model_beats_baseline_and_rules_and_a_worse_model_is_not_activated(api, history):
    admin = make_user(role="admin")
    token = token_for(admin)
    first = _train(api, token)
    test = first["metrics"]["test"]
    assert first["status"] == "active" and first["activeAveragePrecision"] is None
    assert test["positives"] >= 10
    assert test["average_precision"] > first["metrics"]["baseline_test"]["average_precision"]
    assert test["average_precision"] > first["metrics"]["rules_only_test"]["average_precision"]
    for key in ("roc_auc", "recall_at_1pct_fpr", "recall_at_0_1pct_fpr", "brier"):
        assert test[key] is not None
    version = ModelVersion.get_by_id(first["modelVersionId"])
    assert version.schema_hash == model_registry.schema_hash(version.features)
    assert version.training_window["from"] < version.training_window["to"]
    assert model_registry.active("fraud").id == version.id

    _, _, scored = place(api)  # a new order is scored by the active model
    assert scored["state"] == "succeeded", scored
    assessment = scored["result"]
    assert assessment["modelVersionId"] == version.id and 0 <= assessment["riskScore"] <= 99
    assert assessment["riskLevel"] in ("normal", "elevated", "highest") and 0 <= assessment["probability"] <= 1
    assert all(f["contribution"] > 0 for f in assessment["topFeatures"])
    # scoring a batch in one model call gives each order its own probability and contributions
    batch = [o.id for o in Order.select(Order.id).order_by(Order.created_at.desc()).limit(12)]
    together = fraud.assess_many(batch)
    assert len({r["probability"] for r in together.values()}) > 1
    for order_id in batch:
        assert together[order_id] == fraud.assess(order_id), order_id

    worse = _train(api, token, {"learningRate": 0.001, "maxIter": 10})
    assert worse["status"] == "rejected", worse
    # the active model re-scored on the new run's test slice (one more order than the first run's)
    assert abs(worse["activeAveragePrecision"] - test["average_precision"]) < 0.05
    assert worse["metrics"]["active_on_same_test_slice"]["modelVersionId"] == version.id
    assert worse["metrics"]["test"]["average_precision"] < worse["activeAveragePrecision"]
    rejected = ModelVersion.get_by_id(worse["modelVersionId"])
    assert str(worse["activeAveragePrecision"]) in rejected.notes
    assert model_registry.active("fraud").id == version.id


def test_training_without_labelled_history_fails_without_retry(api, db):
    token = token_for(make_user(role="admin"))
    status, resp, _ = api.post("/api/v1/admin/ml/fraud/train", {}, token=token)
    job = api.wait_job(resp["data"]["id"], token=token)
    assert job["state"] == "failed" and job["error"]["reason"] == "not_enough_training_data"
    assert job["attempts"] == 1
