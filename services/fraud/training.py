"""Fraud model training: `start_training` writes a `fraud_train` job; `run_fraud_train_job`
builds the labelled set, trains with ml.fraud.train, registers the model and activates it
unless it is worse (average precision) than the active one on the same test slice.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from ml.fraud import rules as rule_lang
from ml.fraud.features import FEATURES, feature_matrix
from models.db import isoformat, utcnow
from models.fraud import FraudAssessment, FraudLabel
from models.jobs import Job
from models.orders import Order
from models.users import User
from services.errors import ValidationFailed
from services.fraud.active_model import KIND, active_bundle
from services.fraud.history import features_for_training, order_facts
from services.fraud.rules import effective_rules
from services.platform import jobs, model_registry

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def start_training(admin: User, params: dict) -> Job:
    """Write a `fraud_train` job (call in a transaction). `params`: min_age_days, auto_activate
    and HistGradientBoosting overrides (learning_rate, max_iter, max_leaf_nodes, min_samples_leaf,
    l2_regularization)."""
    return jobs.create_job("fraud_train", {"params": params}, owner_id=admin.id, total=4)


def training_set(min_age_days: int = 0, now: dt.datetime | None = None) -> dict:
    """The labelled orders: {"order_ids", "rows" (feature dicts), "y", "times"}.

    y = 1 when the order has a fraud label (chargeback, refund, admin rejection).
    Orders younger than `min_age_days` (their chargebacks may not have arrived), orders still in
    review and orders blocked automatically without a label (no ground truth) are left out.
    """
    import numpy as np  # heavy: loaded only where a model is used
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=min_age_days)
    fraud_ids = {r.order_id for r in FraudLabel.select(FraudLabel.order).where(FraudLabel.is_fraud == True)}  # noqa: E712
    labelled = {r.order_id for r in FraudLabel.select(FraudLabel.order)}
    blocked = {r.order_id for r in FraudAssessment.select(FraudAssessment.order)
               .where(FraudAssessment.decision == "block")}
    pending = {r.order_id for r in FraudAssessment.select(FraudAssessment.order)
               .where(FraudAssessment.review_status == "pending")}
    ids = [o.id for o in Order.select(Order.id).where(Order.created_at <= cutoff).order_by(Order.created_at, Order.id)
           if not ((o.id in blocked and o.id not in labelled) or (o.id in pending and o.id not in labelled))]
    rows = features_for_training(ids)
    facts = {f.order_id: f for f in order_facts(ids)} if ids else {}
    attributes = [{**row, "risk_score": None, "probability": None, "risk_level": "not_assessed",
                   "payment_method": facts[i].payment_method, "email_domain": facts[i].email_domain,
                   "ip_country": facts[i].ip_country, "shipping_country": facts[i].shipping_country,
                   "billing_country": facts[i].billing_country} for i, row in zip(ids, rows)]
    return {"order_ids": ids, "rows": rows, "attributes": attributes,
            "y": np.array([1 if i in fraud_ids else 0 for i in ids], dtype=int),
            "times": np.array([facts[i].created_at.replace(tzinfo=dt.timezone.utc).timestamp() for i in ids])}


def rules_only_scores(attributes: list[dict]) -> np.ndarray:
    """The rules-only scorer (no model): 1.0 block, 0.5 review, 0.0 allow under the effective rules."""
    import numpy as np  # heavy: loaded only where a model is used
    severity = {"allow": 0.0, "review": 0.5, "block": 1.0}
    parsed = [rule for _, rule in effective_rules()]
    return np.array([severity[rule_lang.decide(parsed, a)[0]] for a in attributes])


HGB_PARAMS = ("learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf", "l2_regularization")


def run_fraud_train_job(job: Job, ctx) -> dict:
    """`fraud_train` job: build the labelled set, train (ml.fraud.train), register the model and
    activate it unless the active model scores a higher average precision on the same test slice
    (then the new one is `rejected`; both numbers are recorded). Result: {"modelVersionId",
    "version", "status", "metrics", "activeAveragePrecision"}. Raises ValidationFailed when the
    data cannot train a model (no retry)."""
    from ml.fraud import scoring  # heavy: loaded only where a model is used
    from ml.fraud import train as fraud_train
    params = dict(job.payload.get("params") or {})
    ctx.progress(0, 4, "building the labelled training set")
    data = training_set(int(params.get("min_age_days", 0)))
    if len(data["order_ids"]) < 50:
        raise ValidationFailed(f"Only {len(data['order_ids'])} orders to learn from (at least 50 needed)",
                               reason="not_enough_training_data")
    x = feature_matrix(data["rows"], FEATURES)
    ctx.progress(1, 4, f"training on {len(data['order_ids'])} orders ({int(data['y'].sum())} fraud)")
    overrides = {k: params[k] for k in HGB_PARAMS if params.get(k) is not None}
    try:
        trained = fraud_train.train(x, data["y"], data["times"], overrides)
    except fraud_train.TrainingDataError as exc:
        raise ValidationFailed(str(exc), reason="not_enough_training_data") from None
    metrics = trained["metrics"]
    train_idx, _, test_idx = trained["split"]
    metrics["rules_only_test"] = fraud_train.evaluate(
        data["y"][test_idx], rules_only_scores([data["attributes"][i] for i in test_idx]))
    ctx.progress(2, 4, "comparing with the active model")
    active_version, active_bundle_ = _comparable_active()
    active_ap = None
    if active_bundle_ is not None:
        active_scores = active_bundle_["model"].predict_proba(
            feature_matrix([data["rows"][i] for i in test_idx], active_bundle_["features"]))[:, 1]
        active_ap = fraud_train.evaluate(data["y"][test_idx], active_scores)["average_precision"]
        metrics["active_on_same_test_slice"] = {"modelVersionId": active_version.id, "version": active_version.version,
                                                "average_precision": active_ap}
    times = [dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None) for t in data["times"]]
    metrics["labels"] = {"orders": len(data["order_ids"]), "fraud": int(data["y"].sum())}
    window = {"from": isoformat(min(times)), "to": isoformat(max(times))}
    ctx.progress(3, 4, "registering the model")
    version = model_registry.register(
        KIND, scoring.make_bundle(trained["model"], FEATURES, x[train_idx]), metrics, FEATURES, window,
        {"hist_gradient_boosting": {**fraud_train.DEFAULT_PARAMS, **overrides}, "calibration": "sigmoid",
         "split": list(fraud_train.SPLIT), "min_age_days": int(params.get("min_age_days", 0))},
        trusted=scoring.TRUSTED_TYPES)
    new_ap = metrics["test"]["average_precision"]
    if active_ap is not None and new_ap < active_ap:
        version = model_registry.reject(version.id, f"average precision {new_ap} on the test slice is below the "
                                                    f"active v{active_version.version}'s {active_ap}")
    elif params.get("auto_activate", True):
        version = model_registry.activate(version.id, note=f"activated after training (AP {new_ap}"
                                                           + (f" vs active {active_ap})" if active_ap is not None else ")"))
    return {"modelVersionId": version.id, "version": version.version, "status": version.status,
            "metrics": metrics, "activeAveragePrecision": active_ap}


def _comparable_active():
    """The active model if its features can all be computed today, else (None, None)."""
    try:
        version, bundle = active_bundle()
    except model_registry.ArtifactRejected:
        log.exception("the active fraud model cannot be loaded; training continues without comparison")
        return None, None
    if bundle is None or not set(bundle["features"]) <= set(FEATURES):
        return None, None
    return version, bundle
