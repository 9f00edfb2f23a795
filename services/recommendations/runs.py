"""Recommendation runs: each training writes its serving tables under a run; the newest
active run serves related/popular/trending, the run of the registry's active
`recommendations` version serves personal lists.
"""

from __future__ import annotations

from models.db import isoformat
from models.recommendations import RecommendationRun
from services.platform import model_registry

KIND = "recommendations"


def newest_run() -> RecommendationRun | None:
    """The active (newest completed) run, or None before the first training."""
    return (RecommendationRun.select().where(RecommendationRun.status == "active")
            .order_by(RecommendationRun.activated_at.desc()).first())


def personal_run() -> RecommendationRun | None:
    """The run holding the registry's active `recommendations` version's personal lists, or None."""
    version = model_registry.active(KIND)
    if version is None:
        return None
    return (RecommendationRun.select().where(RecommendationRun.model_version_id == version.id,
                                             RecommendationRun.status != "building").first())


def run_result(run: RecommendationRun) -> dict:
    """A run as the API shows it: runId, modelVersionId, servedModel, personalized, metrics, counts,
    params, trainedAt."""
    return {"runId": run.id, "modelVersionId": run.model_version_id, "servedModel": run.served_model,
            "personalized": run.personalized, "metrics": run.metrics, "counts": run.counts,
            "params": run.params, "trainedAt": isoformat(run.trained_at)}
