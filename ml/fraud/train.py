"""Fraud model training: time split, gradient boosting, sigmoid calibration, baseline, metrics.

Pure functions on numpy arrays, used by the `fraud_train` job (services.fraud)
and by the real-data benchmark (bench/ml_fraud.py) alike.

- Split by time, never at random: the model is trained on the past, calibrated
  on a later slice and evaluated on the latest one (60/20/20 by default), as it
  will be used (Dal Pozzolo et al., "Calibrating Probability with
  Undersampling for Unbalanced Classification", 2015, and "Credit card fraud
  detection: a realistic modeling and a novel learning strategy", IEEE TNNLS 2018).
- Model: scikit-learn's HistGradientBoostingClassifier (LightGBM-style
  histogram boosting) with L2 regularisation, a minimum leaf size, a leaf
  limit and early stopping on average precision measured on a held-out part
  of the training slice.
- Blend: the boosted model's log-odds mixed with the logistic model's,
  `(1 - w) * logit(p_boosted) + w * logit(p_logistic)`, with w from
  BLEND_WEIGHTS chosen by average precision on the calibration slice (w = 0
  keeps the boosted model alone). Linear models on top of boosted trees are
  an old, well-tested combination (He et al., "Practical Lessons from
  Predicting Clicks on Ads at Facebook", ADKDD 2014); here the linear model
  recovers smooth effects that shallow trees step through.
- Calibration: Platt's sigmoid (Platt 1999) fitted on the calibration slice
  with the boosted model frozen (CalibratedClassifierCV(FrozenEstimator(...)),
  scikit-learn >= 1.6; see https://scikit-learn.org/stable/modules/calibration.html).
- Baseline: LogisticRegression on median-imputed, standardised features.
- Metrics (https://scikit-learn.org/stable/modules/model_evaluation.html):
  average precision (area under the precision-recall curve as a step
  function; the right summary for rare positives, Saito & Rehmsmeier, PLOS
  ONE 2015), ROC AUC, recall (true-positive rate) at 1% and 0.1%
  false-positive rate read off the ROC curve, and the Brier score (mean
  squared error of the probabilities, Brier 1950).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DEFAULT_PARAMS = {
    "learning_rate": 0.05,
    "max_iter": 400,
    "max_leaf_nodes": 31,
    "min_samples_leaf": None,
    "l2_regularization": 1.0,
    "max_features": 0.8,
    "validation_fraction": 0.2,
    "n_iter_no_change": 30,
    "random_state": 0,
}
"""HistGradientBoostingClassifier settings (early stopping scored by average precision).
`min_samples_leaf=None` means n_train // 3000 clipped to [10, 50]. The leaf settings were chosen
on the calibration slice of the ULB benchmark (never on its test slice)."""

SPLIT = (0.6, 0.2, 0.2)
BLEND_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5)


class LogitBlend(ClassifierMixin, BaseEstimator):
    """Two fitted binary classifiers mixed in log-odds: P = sigmoid((1 - weight) * logit(P_boosted)
    + weight * logit(P_linear)). Probabilities are clipped to [1e-9, 1 - 1e-9] before logit."""

    def __init__(self, boosted=None, linear=None, weight: float = 0.0):
        self.boosted = boosted
        self.linear = linear
        self.weight = weight

    def fit(self, x, y):
        """Nothing to learn (the parts are fitted); records `classes_` for scikit-learn."""
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, x):
        """(n, 2) array of [P(legitimate), P(fraud)]."""
        z = (1 - self.weight) * _logit(self.boosted.predict_proba(x)[:, 1])
        if self.weight:
            z = z + self.weight * _logit(self.linear.predict_proba(x)[:, 1])
        p = expit(z)
        return np.column_stack([1 - p, p])

    def predict(self, x):
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(int)


def _logit(p):
    return logit(np.clip(p, 1e-9, 1 - 1e-9))


class TrainingDataError(ValueError):
    """The data cannot train a model (too few rows or no positives in a slice)."""


def time_split(times, fractions=SPLIT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, calibration, test) ordering rows by `times` (ties broken by input order)
    and cutting at the cumulative `fractions` (default 60/20/20)."""
    order = np.argsort(np.asarray(times), kind="stable")
    n = len(order)
    a = int(round(n * fractions[0]))
    b = int(round(n * (fractions[0] + fractions[1])))
    return order[:a], order[a:b], order[b:]


def fit_gradient_boosting(x: np.ndarray, y: np.ndarray, params: dict | None = None) -> HistGradientBoostingClassifier:
    """Fit the boosted trees on the training slice with early stopping on average precision."""
    settings = {**DEFAULT_PARAMS, **(params or {})}
    if settings.get("min_samples_leaf") is None:
        settings["min_samples_leaf"] = int(min(50, max(10, len(y) // 3000)))
    model = HistGradientBoostingClassifier(early_stopping=True, scoring="average_precision", **settings)
    model.fit(x, y)
    # Fit-time helpers that prediction does not use: a bound method kept for early stopping
    # (self-referencing, so skops cannot serialise it) and the validation scorer.
    for name in ("_raw_predict", "_scorer"):
        vars(model).pop(name, None)
    return model


def calibrate(model, x_cal: np.ndarray, y_cal: np.ndarray) -> CalibratedClassifierCV:
    """Platt (sigmoid) calibration of an already fitted `model` on a later slice (the model is frozen)."""
    if len(np.unique(y_cal)) < 2:
        raise TrainingDataError("the calibration slice needs both fraud and legitimate orders")
    return CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(x_cal, y_cal)


def fit_logistic_baseline(x: np.ndarray, y: np.ndarray):
    """The baseline: median imputation, standardisation and an L2 LogisticRegression."""
    return make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                         LogisticRegression(max_iter=2000, C=1.0)).fit(x, y)


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, max_fpr: float) -> float:
    """Highest true-positive rate on the ROC curve whose false-positive rate is <= `max_fpr`."""
    fpr, tpr, _ = roc_curve(y, scores)
    allowed = tpr[fpr <= max_fpr]
    return float(allowed.max()) if allowed.size else 0.0


def evaluate(y: np.ndarray, scores: np.ndarray) -> dict:
    """Metrics of probability-like `scores` against labels `y` (1 = fraud):
    {"average_precision", "roc_auc", "recall_at_1pct_fpr", "recall_at_0_1pct_fpr", "brier",
    "n", "positives"}. ROC AUC is None when `y` has one class."""
    y = np.asarray(y).astype(int)
    scores = np.asarray(scores, dtype=float)
    both = len(np.unique(y)) == 2
    return {
        "average_precision": round(float(average_precision_score(y, scores)), 4) if y.any() else 0.0,
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if both else None,
        "recall_at_1pct_fpr": round(recall_at_fpr(y, scores, 0.01), 4) if both else None,
        "recall_at_0_1pct_fpr": round(recall_at_fpr(y, scores, 0.001), 4) if both else None,
        "brier": round(float(brier_score_loss(y, np.clip(scores, 0, 1))), 5),
        "n": int(len(y)),
        "positives": int(y.sum()),
    }


def train(x: np.ndarray, y: np.ndarray, times, params: dict | None = None, fractions=SPLIT) -> dict:
    """Split by time, fit the boosted model and the logistic baseline on the training slice,
    choose the blend weight and fit the sigmoid on the calibration slice, evaluate on the test slice.

    `x` (n, features) float array with NaN for unknown, `y` 0/1 labels, `times`
    sortable per row. Returns {"model": calibrated classifier, "baseline":
    logistic pipeline, "metrics": {"test": ..., "baseline_test": ...,
    "calibration": ..., "iterations": int, "split": {...}}, "split": (train, cal,
    test) index arrays}. Raises TrainingDataError when a slice lacks positives.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y).astype(int)
    train_idx, cal_idx, test_idx = time_split(times, fractions)
    for name, idx in (("training", train_idx), ("calibration", cal_idx), ("test", test_idx)):
        if len(idx) == 0 or y[idx].sum() == 0 or y[idx].sum() == len(idx):
            raise TrainingDataError(f"the {name} slice needs both fraud and legitimate orders "
                                    f"({int(y[idx].sum()) if len(idx) else 0} fraud of {len(idx)})")
    boosted = fit_gradient_boosting(x[train_idx], y[train_idx], params)
    baseline = fit_logistic_baseline(x[train_idx], y[train_idx])
    weights = {w: evaluate(y[cal_idx], LogitBlend(boosted, baseline, w).fit(x, y).predict_proba(x[cal_idx])[:, 1])
               ["average_precision"] for w in BLEND_WEIGHTS}
    weight = max(BLEND_WEIGHTS, key=lambda w: (weights[w], -w))
    blend = LogitBlend(boosted, baseline if weight else None, weight).fit(x, y)
    model = calibrate(blend, x[cal_idx], y[cal_idx])
    test_scores = model.predict_proba(x[test_idx])[:, 1]
    metrics = {
        "test": evaluate(y[test_idx], test_scores),
        "baseline_test": evaluate(y[test_idx], baseline.predict_proba(x[test_idx])[:, 1]),
        "boosted_only_test": evaluate(y[test_idx], boosted.predict_proba(x[test_idx])[:, 1]),
        "blend": {"weight": weight, "calibration_average_precision_by_weight": {str(k): v for k, v in weights.items()}},
        "calibration": evaluate(y[cal_idx], model.predict_proba(x[cal_idx])[:, 1]),
        "iterations": int(boosted.n_iter_),
        "split": {"train": int(len(train_idx)), "calibration": int(len(cal_idx)), "test": int(len(test_idx))},
    }
    return {"model": model, "baseline": baseline, "metrics": metrics, "split": (train_idx, cal_idx, test_idx)}
