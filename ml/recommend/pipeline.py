"""The training pipeline of the `recommendations_train` job, on plain events (no database).

`train(events, now, options)`:

1. Time split. Events before the test cut-off (the `1 - test_fraction`
   quantile of event times) are the past; the events before the validation
   cut-off (same rule inside the past) train the candidates, the events
   between the two cut-offs choose hyper-parameters and the served model
   (NDCG@10), and the events after the test cut-off measure the chosen
   configurations, refitted on the whole past, against the popularity
   baseline (precision@10, recall@10, NDCG@10, hit rate@10, catalog coverage).
2. The served personal model (the validation winner among item-kNN, EASE and
   PureSVD) is used for per-user recommendations only if it beats popularity
   on NDCG@10 in the test period with at least `min_eval_users` users;
   otherwise personal lists fall back to popularity (`personalized` False).
3. Everything is refitted on all events (decay relative to `now`) to produce
   the serving lists: `related` (cosine neighbours per item), per-user top-N
   for users active in the last `active_days`, `popular` (decayed weighted
   interactions) and `trending` (events of the last `trending_days`, half-life
   `trending_half_life_days`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ml.recommend import evaluate as ev
from ml.recommend.interactions import (DEFAULT_HALF_LIFE_DAYS, EVENT_WEIGHTS, SECONDS_PER_DAY, Events,
                                       build_matrix, event_values)
from ml.recommend.models import EASE, ItemKNN, Popularity, PureSVD, top_k

ARTIFACT_FORMAT = "cartwheel.recommendations/1"
PERSONAL_MODELS = ("itemknn", "ease", "svd")


class InsufficientData(ValueError):
    """Too few users, items or events to train anything."""


@dataclass
class TrainingOptions:
    """Settings of a training run (times in days, counts in rows)."""

    half_life_days: float = DEFAULT_HALF_LIFE_DAYS
    weights: dict = field(default_factory=lambda: dict(EVENT_WEIGHTS))
    test_fraction: float = 0.2
    validation_fraction: float = 0.2
    k: int = 10
    related_per_item: int = 20
    recommendations_per_user: int = 20
    list_size: int = 100
    active_days: float = 90.0
    max_users: int = 50_000
    trending_days: float = 30.0
    trending_half_life_days: float = 7.0
    ease_max_items: int = 3000
    min_eval_users: int = 5
    knn_grid: tuple = (20, 100)
    ease_grid: tuple = (0.5, 2.0, 8.0, 32.0)  # multiples of the mean diagonal of X^T X
    svd_grid: tuple = (8, 16, 32, 64)
    profile_grid: tuple = (0.0, 1.0)  # profile half-lives in days (0: off), see interactions.profile_weights


@dataclass
class TrainingResult:
    """What a run produces. Lists hold `(item_id, score)` pairs, best first."""

    metrics: dict
    served_model: str
    personalized: bool
    params: dict
    related: dict
    user_recommendations: dict
    popular: list
    trending: list
    artifact: dict
    counts: dict


def _candidates(kind: str, X, options: TrainingOptions) -> list:
    if kind == "itemknn":
        return [ItemKNN(n) for n in options.knn_grid]
    if kind == "ease":
        if X.shape[1] > options.ease_max_items:
            return []
        diag = np.asarray(X.multiply(X).sum(axis=0)).ravel()
        scale = float(diag.mean()) if diag.size and diag.mean() > 0 else 1.0
        return [EASE(l2=round(m * scale, 6)) for m in options.ease_grid]
    if kind == "svd":
        limit = min(X.shape) - 1
        grid = sorted({min(k, limit) for k in options.svd_grid if limit >= 1})
        return [PureSVD(k) for k in grid]
    raise KeyError(kind)


def _query(events: Events, now: float, train, options: TrainingOptions, profile_half_life_days: float):
    """The rows a model scores: `train.matrix`, or the same events re-weighted by profile recency."""
    if not profile_half_life_days:
        return train.matrix
    return build_matrix(events, now, options.half_life_days, options.weights, train.user_ids, train.item_ids,
                        profile_half_life_days=profile_half_life_days).matrix


def _fit_eval(model, train, rows, relevant, n_catalog, k, query=None):
    model.fit(train.matrix)
    return ev.evaluate(model, (train.matrix if query is None else query)[rows], relevant, n_catalog, k)


def _tune(past: Events, options: TrainingOptions, n_catalog: int) -> tuple[dict, dict]:
    """Choose each personal model's hyper-parameters and profile half-life on the validation slice of `past`.

    Returns `(best, report)`: best = {kind: (model instance (unfitted config), profile half-life days)},
    report = {kind: {"params", "ndcg_at_k"}, "users": n}."""
    k = options.k
    cutoff = ev.time_cutoff(past.times, options.validation_fraction)
    fit_events, val_events = ev.split_by_time(past, cutoff)
    best, report = {}, {"cutoff": cutoff}
    if len(fit_events) == 0:
        report["users"] = 0
        return best, report
    train = build_matrix(fit_events, cutoff, options.half_life_days, options.weights)
    rows, relevant = ev.heldout_relevance(train, val_events)
    report["users"] = len(rows)
    if len(rows) < options.min_eval_users:
        return best, report
    queries = {h: _query(fit_events, cutoff, train, options, h) for h in options.profile_grid or (0.0,)}
    for kind in PERSONAL_MODELS:
        scored = []
        for model in _candidates(kind, train.matrix, options):
            model.fit(train.matrix)
            for h, query in queries.items():
                metrics = ev.evaluate(model, query[rows], relevant, n_catalog, k)
                scored.append((metrics[f"ndcg_at_{k}"], -len(scored), model, h))
        if scored:
            ndcg, _, model, h = max(scored, key=lambda entry: entry[:2])
            best[kind] = (type(model)(**model.params()), h)
            report[kind] = {"params": model.params(), "profile_half_life_days": h, f"ndcg_at_{k}": ndcg}
    return best, report


def _default(kind: str, X, options: TrainingOptions):
    """A configuration without tuning: the middle of the grid, no profile weighting."""
    candidates = _candidates(kind, X, options)
    return (candidates[len(candidates) // 2], 0.0) if candidates else None


def _ranked(ids: np.ndarray, scores: np.ndarray, n: int) -> list:
    order = np.lexsort((np.arange(len(scores)), -scores))
    return [(str(ids[i]), float(scores[i])) for i in order[:n] if scores[i] > 0]


def train(events: Events, now: float, options: TrainingOptions | None = None, n_catalog: int | None = None,
          progress=None) -> TrainingResult:
    """Run the pipeline described in the module docstring.

    `events`: all interaction events; `now`: POSIX seconds of the training
    time; `n_catalog`: catalog size for coverage (default: items with events);
    `progress(step, total, message)`: optional callback between steps.
    Raises InsufficientData with fewer than 2 users or 2 items.
    """
    options = options or TrainingOptions()
    progress = progress or (lambda *a: None)
    k = options.k
    n_users, n_items = len(set(events.users.tolist())), len(set(events.items.tolist()))
    if n_users < 2 or n_items < 2:
        raise InsufficientData(f"need interactions of at least 2 users on 2 items (have {n_users} users, "
                               f"{n_items} items)")
    n_catalog = n_catalog or n_items
    steps = 5

    # 1. time split: past / test, and validation inside the past
    progress(0, steps, "splitting by time")
    test_cutoff = ev.time_cutoff(events.times, options.test_fraction)
    past, future = ev.split_by_time(events, test_cutoff)
    tuned, validation = _tune(past, options, n_catalog) if len(past) else ({}, {"users": 0})
    progress(1, steps, "hyper-parameters chosen on the validation period")

    # 2. test: refit the chosen configurations on the whole past, compare with popularity
    metrics = {"protocol": "time_split", "k": k, "test_cutoff": test_cutoff,
               "validation_cutoff": validation.get("cutoff"), "validation": validation, "models": {}}
    served = None
    if len(past):
        train_past = build_matrix(past, test_cutoff, options.half_life_days, options.weights)
        rows, relevant = ev.heldout_relevance(train_past, future)
        metrics["test_users"] = len(rows)
        configs = {kind: tuned.get(kind) or _default(kind, train_past.matrix, options) for kind in PERSONAL_MODELS}
        configs = {kind: model for kind, model in configs.items() if model is not None}
        if len(rows):
            metrics["models"]["popularity"] = _fit_eval(Popularity(), train_past, rows, relevant, n_catalog, k)
            for kind, (model, h) in configs.items():
                query = _query(past, test_cutoff, train_past, options, h)
                metrics["models"][kind] = dict(_fit_eval(model, train_past, rows, relevant, n_catalog, k, query),
                                               params=model.params(), profile_half_life_days=h)
        ranked = [kind for kind in PERSONAL_MODELS if kind in validation]
        if ranked:
            served = max(ranked, key=lambda kind: validation[kind][f"ndcg_at_{k}"])
        else:
            served = "ease" if "ease" in configs else "svd"
        served_config, profile_h = configs.get(served) or (None, 0.0)
    else:
        metrics["test_users"] = 0
        served, served_config, profile_h = None, None, 0.0
    progress(2, steps, "evaluated on the test period")

    key = f"ndcg_at_{k}"
    model_metrics = metrics["models"].get(served or "", {})
    pop_metrics = metrics["models"].get("popularity", {})
    beats = bool(model_metrics and pop_metrics and metrics["test_users"] >= options.min_eval_users
                 and model_metrics[key] > pop_metrics[key])
    metrics["served_model"] = served
    metrics["beats_popularity"] = beats
    if model_metrics:
        metrics.update({f"{name}": model_metrics[name] for name in
                        (f"precision_at_{k}", f"recall_at_{k}", key, f"hit_rate_at_{k}", "catalog_coverage")})
        metrics["popularity_" + key] = pop_metrics.get(key)

    # 3. final fit on everything, relative to now
    full = build_matrix(events, now, options.half_life_days, options.weights)
    knn = ItemKNN(max(options.knn_grid) if options.knn_grid else 50).fit(full.matrix)
    related = {}
    for col, item in enumerate(full.item_ids.tolist()):
        neighbours = knn.neighbours(col, options.related_per_item)
        if neighbours:
            related[str(item)] = [(str(full.item_ids[j]), score) for j, score in neighbours]
    progress(3, steps, "item neighbours computed")

    popularity = Popularity().fit(full.matrix)
    popular = _ranked(full.item_ids, popularity.item_scores, options.list_size)
    recent = events.subset(events.times >= now - options.trending_days * SECONDS_PER_DAY)
    trend_scores: dict = {}
    for item, value in zip(recent.items.tolist(),
                           event_values(recent, now, options.trending_half_life_days, options.weights).tolist()):
        trend_scores[item] = trend_scores.get(item, 0.0) + value
    trend_ids = np.asarray(list(trend_scores), dtype=object)
    trending = _ranked(trend_ids, np.asarray(list(trend_scores.values()), dtype=np.float64), options.list_size)

    user_recs = {}
    final_model = None
    if beats and served_config is not None:
        final_model = type(served_config)(**served_config.params()).fit(full.matrix)
        last_seen: dict = {}
        for user, t in zip(events.users.tolist(), events.times.tolist()):
            last_seen[user] = max(t, last_seen.get(user, t))
        active = [u for u, t in last_seen.items() if t >= now - options.active_days * SECONDS_PER_DAY]
        active = sorted(active, key=lambda u: (-last_seen[u], str(u)))[:options.max_users]
        rows = np.asarray([full.user_index[u] for u in active], dtype=np.int64)
        if len(rows):
            query = _query(events, now, full, options, profile_h)
            idx, vals = top_k(final_model, query[rows], options.recommendations_per_user)
            for user, items, scores in zip(active, idx, vals):
                picks = [(str(full.item_ids[j]), float(s)) for j, s in zip(items.tolist(), scores.tolist())
                         if j >= 0 and s > 0]
                if picks:
                    user_recs[str(user)] = picks
    progress(4, steps, "serving lists computed")

    artifact = {"format": ARTIFACT_FORMAT, "served_model": served or "popularity", "personalized": beats,
                "item_ids": np.asarray([str(i) for i in full.item_ids], dtype=str),
                "popularity": popularity.item_scores.astype(np.float64),
                "knn_indptr": knn.similarity.indptr, "knn_indices": knn.similarity.indices,
                "knn_data": knn.similarity.data}
    if isinstance(final_model, EASE):
        artifact["ease_B"] = final_model.B
    elif isinstance(final_model, PureSVD):
        artifact["svd_components"] = final_model.components
    params = {"options": _jsonable_options(options),
              "served_params": served_config.params() if served_config is not None else {},
              "profile_half_life_days": profile_h}
    counts = {"events": len(events), "users": len(full.user_ids), "items": len(full.item_ids),
              "related_items": len(related), "users_with_recommendations": len(user_recs),
              "popular": len(popular), "trending": len(trending)}
    progress(5, steps, "done")
    return TrainingResult(metrics=metrics, served_model=served or "popularity", personalized=beats, params=params,
                          related=related, user_recommendations=user_recs, popular=popular, trending=trending,
                          artifact=artifact, counts=counts)


def _jsonable_options(options: TrainingOptions) -> dict:
    data = asdict(options)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}
