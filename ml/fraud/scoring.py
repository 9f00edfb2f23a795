"""Scoring with a trained fraud model: the stored bundle, probabilities, risk score and level,
and per-order feature contributions.

The registry artifact is a dict bundle {"model": calibrated classifier,
"features": [names], "reference": per-feature training medians}. It contains
only the sklearn types in TRUSTED_TYPES beyond skops' defaults.

Contributions are occlusion effects: for each feature, the drop in predicted
probability when that feature is replaced by its training median (or marked
unknown when the median is). This is the "baseline replacement" explanation
(cf. Strumbelj & Kononenko, "Explaining prediction models and individual
predictions with feature contributions", KAIS 2014), cheap enough to run per
order: one batch of len(features) + 1 predictions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ml.fraud.features import FEATURES, feature_matrix

TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "ml.fraud.train.LogitBlend",
    "numpy.dtype",
]
"""Types a fraud bundle may contain beyond skops' default trusted set."""

ELEVATED_AT = 25
HIGHEST_AT = 75
"""riskScore thresholds of riskLevel: normal < 25 <= elevated < 75 <= highest. The score is a
calibrated probability x 100, so "elevated" means roughly a 1-in-4 chance of fraud: at the usual
review cost against a fraud loss, that is worth a look (Radar's default levels are 65/75 on its own,
uncalibrated scale)."""


def make_bundle(model, features: list[str], x_train: np.ndarray) -> dict:
    """The object stored in the registry: model, feature names and per-feature training medians."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns have an unknown median
        reference = np.nanmedian(np.asarray(x_train, dtype=np.float64), axis=0)
    return {"model": model, "features": list(features), "reference": reference}


def predict(bundle: dict, rows: list[dict]) -> np.ndarray:
    """Calibrated fraud probabilities for feature dicts (column order from the bundle)."""
    x = feature_matrix(rows, bundle["features"])
    return bundle["model"].predict_proba(x)[:, 1]


def risk_score(probability: float) -> int:
    """0-99: floor(100 x probability), capped at 99."""
    return max(0, min(99, int(math.floor(probability * 100))))


def risk_level(score: int | None) -> str:
    """normal | elevated | highest for a riskScore; not_assessed for None."""
    if score is None:
        return "not_assessed"
    if score >= HIGHEST_AT:
        return "highest"
    return "elevated" if score >= ELEVATED_AT else "normal"


def explain_many(bundle: dict, rows: list[dict], top: int = 5) -> list[tuple[float, list[dict]]]:
    """(probability, top contributions) for each feature dict, in ONE model call.

    Contributions: [{"feature", "value", "contribution"}] with contribution =
    P(x) - P(x with the feature at its training median), largest positive first
    (at most `top`; features that lower the risk are left out). The model sees
    len(rows) x (len(features) + 1) rows: each order, then each of its occlusions.
    """
    if not rows:
        return []
    names = bundle["features"]
    width = len(names) + 1
    x = feature_matrix(rows, names)
    variants = np.repeat(x, width, axis=0)
    for j, ref in enumerate(bundle["reference"]):
        variants[j + 1::width, j] = ref
    probs = bundle["model"].predict_proba(variants)[:, 1].reshape(len(rows), width)
    explained = []
    for row, order_probs in zip(rows, probs):
        base = float(order_probs[0])
        contributions = [
            {"feature": name, "value": row.get(name), "contribution": round(base - float(order_probs[j + 1]), 4)}
            for j, name in enumerate(names)
        ]
        positive = sorted((c for c in contributions if c["contribution"] > 0), key=lambda c: -c["contribution"])
        explained.append((base, positive[:top]))
    return explained


def feature_names() -> list[str]:
    """The feature columns a new model is trained on."""
    return list(FEATURES)
