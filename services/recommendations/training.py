"""Training recommendations: the `recommendations_train` job (`ml` queue).

`run_training_job` loads the shop's interaction events (`signals.load_events`), runs
`ml.recommend.pipeline.train` (weighted implicit matrix with recency decay, item-item
cosine, EASE / PureSVD, time-split evaluation against popularity), registers the model
in the model registry (kind `recommendations`), and writes the serving tables of
`models.recommendations` under a new run that becomes active in one transaction. The
registry version is activated only when the personal model beats popularity on NDCG@10
in the test period; otherwise it is rejected and personal lists fall back to popularity.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.jobs import Job
from models.recommendations import PopularProduct, RecommendationRun, RelatedProduct, UserRecommendation
from services.errors import ValidationFailed
from services.platform import JobContext, jobs, model_registry
from services.recommendations.runs import KIND, run_result
from services.recommendations.signals import load_events, posix

if TYPE_CHECKING:  # numpy/scipy/scikit-learn load only in processes that train
    from ml.recommend import pipeline

log = logging.getLogger("services.recommendations")

KEEP_RUNS = 3
INSERT_CHUNK = 500
# Types inside the registered artifact beyond skops' defaults: none (a dict of numpy arrays and scalars).
TRUSTED_TYPES: list[str] = []

OPTION_FIELDS = {  # request option (camelCase) -> (TrainingOptions field, min, max)
    "halfLifeDays": ("half_life_days", 1.0, 3650.0),
    "testFraction": ("test_fraction", 0.05, 0.5),
    "relatedPerProduct": ("related_per_item", 1, 100),
    "recommendationsPerUser": ("recommendations_per_user", 1, 100),
    "activeDays": ("active_days", 1.0, 3650.0),
    "trendingDays": ("trending_days", 1.0, 365.0),
    "trendingHalfLifeDays": ("trending_half_life_days", 0.5, 365.0),
}



def training_options(raw: dict | None) -> pipeline.TrainingOptions:
    """TrainingOptions from a request's `options` (camelCase keys of OPTION_FIELDS).
    Raises ValidationFailed for an unknown key or a value out of range."""
    from ml.recommend import pipeline

    options = pipeline.TrainingOptions()
    for key, value in (raw or {}).items():
        if key not in OPTION_FIELDS:
            raise ValidationFailed(f"Unknown option {key}", reason="invalid_option",
                                   details=[{"field": f"options.{key}", "message": "Unknown option"}])
        name, low, high = OPTION_FIELDS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
                or (isinstance(low, int) and not isinstance(value, int)):
            raise ValidationFailed(f"{key} must be between {low} and {high}", reason="invalid_option",
                                   details=[{"field": f"options.{key}", "message": f"{low} to {high}"}])
        setattr(options, name, type(getattr(options, name))(value))
    return options


def start_training(owner_id: str | None = None, options: dict | None = None, parent_id: str | None = None) -> Job:
    """Create a `recommendations_train` job (call inside a transaction; the admin endpoint and the
    nightly schedule, as a child of its maintenance job, use it). `options`: see OPTION_FIELDS.
    Raises ValidationFailed for bad options."""
    training_options(options)
    return jobs.create_job("recommendations_train", {"options": dict(options or {})}, owner_id=owner_id,
                           parent_id=parent_id, total=7)


def _plain(value):
    """Numpy scalars and arrays to plain Python (for JSON columns)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _iso_posix(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return isoformat(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None))


def _registry_metrics(metrics: dict) -> dict:
    k = metrics.get("k", 10)
    flat = {name: metrics.get(name) for name in (f"precision_at_{k}", f"recall_at_{k}", f"ndcg_at_{k}",
                                                  f"hit_rate_at_{k}", "catalog_coverage",
                                                  f"popularity_ndcg_at_{k}", "test_users", "served_model",
                                                  "beats_popularity")}
    flat["models"] = metrics.get("models", {})
    return _plain(flat)


def _insert_chunks(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        with atomic():
            model.insert_many(rows[start:start + INSERT_CHUNK]).execute()


def _write_rows(run: RecommendationRun, result: pipeline.TrainingResult) -> None:
    _insert_chunks(RelatedProduct, [
        {"run": run.id, "product_id": pid, "rank": rank, "related_id": other, "score": score}
        for pid, neighbours in result.related.items() for rank, (other, score) in enumerate(neighbours, start=1)])
    _insert_chunks(UserRecommendation, [
        {"run": run.id, "user_id": uid, "rank": rank, "product_id": pid, "score": score}
        for uid, picks in result.user_recommendations.items() for rank, (pid, score) in enumerate(picks, start=1)])
    _insert_chunks(PopularProduct, [
        {"run": run.id, "kind": kind, "rank": rank, "product_id": pid, "score": score}
        for kind, ranked in (("popular", result.popular), ("trending", result.trending))
        for rank, (pid, score) in enumerate(ranked, start=1)])


def _purge_old_runs() -> None:
    """Delete the serving rows of runs older than the newest KEEP_RUNS, except the run of the
    registry's active version (what personal lists are served from). Run records stay as history."""
    keep = {r.id for r in RecommendationRun.select(RecommendationRun.id)
            .where(RecommendationRun.status != "building")
            .order_by(RecommendationRun.trained_at.desc()).limit(KEEP_RUNS)}
    current = model_registry.active(KIND)
    if current:
        keep |= {r.id for r in RecommendationRun.select(RecommendationRun.id)
                 .where(RecommendationRun.model_version_id == current.id)}
    old = [r.id for r in RecommendationRun.select(RecommendationRun.id)
           .where(RecommendationRun.status == "superseded", RecommendationRun.id.not_in(list(keep) or [""]))]
    for table in (RelatedProduct, UserRecommendation, PopularProduct):
        if old:
            with atomic():
                table.delete().where(table.run.in_(old)).execute()


def run_training_job(job: Job, ctx: JobContext) -> dict:
    """Run a `recommendations_train` job; returns
    `{"runId", "modelVersionId", "servedModel", "personalized", "metrics", "counts", "params", "trainedAt"}`.

    Idempotent: a job whose run was already activated returns that run's
    result; a half-written run of an earlier attempt is deleted (and its
    registry candidate rejected) before starting again. Raises
    ValidationFailed (`insufficient_data`, no retry) with fewer than 2
    customers or 2 products with interactions.
    """
    from ml.recommend import pipeline
    from ml.recommend.interactions import EVENT_WEIGHTS

    existing = RecommendationRun.get_or_none(RecommendationRun.job_id == job.id)
    if existing is not None and existing.status != "building":
        return run_result(existing)
    if existing is not None:
        with atomic():
            if existing.model_version_id:
                version = model_registry.get_version(existing.model_version_id)
                if version.status == "candidate":
                    model_registry.reject(version.id, "abandoned by a retried training job")
            RecommendationRun.delete().where(RecommendationRun.id == existing.id).execute()
    options = training_options((job.payload or {}).get("options"))
    ctx.progress(0, 7, "loading interactions")
    events = load_events()
    now_dt = utcnow()
    now = posix(now_dt)
    n_catalog = Product.select().where(Product.status == "active").count()
    try:
        result = pipeline.train(events, now, options, n_catalog=max(n_catalog, 1),
                                progress=lambda step, total, message: ctx.progress(1 + step, 7, message))
    except pipeline.InsufficientData as exc:
        raise ValidationFailed(f"Not enough interactions to train: {exc}", reason="insufficient_data") from None
    metrics = _plain(result.metrics)
    for key in ("test_cutoff", "validation_cutoff"):
        metrics[key] = _iso_posix(metrics.get(key))
    if isinstance(metrics.get("validation"), dict):
        metrics["validation"]["cutoff"] = _iso_posix(metrics["validation"].get("cutoff"))
    window = {"from": _iso_posix(float(events.times.min())), "to": isoformat(now_dt)}
    features = [{"signal": kind, "weight": options.weights.get(kind, EVENT_WEIGHTS[kind])} for kind in EVENT_WEIGHTS]
    with atomic():  # the run row first, so a retry after a crash finds (and cleans up) everything below
        run = RecommendationRun.create(job_id=job.id, status="building",
                                       served_model=result.served_model, personalized=result.personalized,
                                       metrics=metrics, params=_plain(result.params), counts=_plain(result.counts),
                                       trained_at=now_dt)
    version = model_registry.register(KIND, result.artifact, metrics=_registry_metrics(metrics), features=features,
                                      training_window=window, params=_plain(result.params), trusted=TRUSTED_TYPES)
    with atomic():
        RecommendationRun.update(model_version_id=version.id).where(RecommendationRun.id == run.id).execute()
    _write_rows(run, result)
    ctx.progress(7, 7, "activating")
    with atomic():
        RecommendationRun.update(status="superseded").where(RecommendationRun.status == "active").execute()
        RecommendationRun.update(status="active", activated_at=utcnow()).where(
            RecommendationRun.id == run.id).execute()
        if result.personalized:
            model_registry.activate(version.id, KIND, note="beats popularity on NDCG@10 (time split)")
        else:
            model_registry.reject(version.id, "does not beat popularity on NDCG@10 on the time split "
                                              "(or too few test users); personal lists use popularity")
    _purge_old_runs()
    return run_result(RecommendationRun.get_by_id(run.id))
