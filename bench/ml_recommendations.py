"""Recommendations benchmark on MovieLens-100k (the recommendations half of `make bench-ml`).

Data: `ml-100k.inter` (943 users, 1,682 movies, 100,000 ratings; F. Maxwell
Harper and Joseph A. Konstan, "The MovieLens Datasets: History and Context",
ACM TiiS 2015) as shipped inside the PyPI package `recbole==1.2.1`. It is
installed at benchmark time with `pip install --no-deps` and read as a file
from the installed distribution: recbole is never imported and nothing is
committed.

Protocol (RecBole's leave-one-out "LS" split with full ranking): every rating
is an implicit interaction; each user's last interaction by timestamp (ties:
file order) is the test item, the second-to-last the validation item, the rest
train. EASE's L2 regularisation is chosen on the validation item (model
trained without the last two), then EASE is refitted on everything but the
last item and ranks all items the user has not interacted with. Reported:
HR@10 and NDCG@10 (Järvelin & Kekäläinen 2002) for EASE (Steck 2019), the
item-kNN cosine model and popularity, all from `ml.recommend`, the same code
the shop's `recommendations_train` job runs.

Also reported (`shop_time_split`): the shop's own training pipeline
(`ml.recommend.pipeline.train`, what the `recommendations_train` job runs) on
the generated SYNTHETIC history with planted structure
(`ml.recommend.synthetic`, 300 customers, 120 products), time split 80/20:
precision@10, recall@10, NDCG@10 and catalog coverage per model, and the
training time.

`run()` returns the figures as a dict; `python -m bench.ml_recommendations`
prints them as one JSON line.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from bench.datasets import packaged_file
from ml.recommend.evaluate import leave_last_out, ranking_metrics
from ml.recommend.interactions import profile_weights
from ml.recommend.models import EASE, ItemKNN, Popularity, top_k

RECBOLE = "recbole==1.2.1"
INTER_FILE = "recbole/dataset_example/ml-100k/ml-100k.inter"
EASE_L2_GRID = (50.0, 100.0, 200.0, 400.0, 800.0)
KNN_GRID = (20, 50, 100, 200)
PROFILE_GRID = (0.0, 0.001, 0.003, 0.01, 0.1, 1.0)  # days; 0 = plain binary rows
K = 10


def dataset_path() -> Path:
    """Path of `ml-100k.inter` in the installed recbole distribution, installing it (--no-deps) if missing."""
    return packaged_file(RECBOLE, INTER_FILE)


def load_interactions(path: Path):
    """`(users, items, times)` as integer codes / float seconds from a RecBole atomic `.inter` file
    (tab-separated, header `user_id:token item_id:token rating:float timestamp:float`)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = [h.split(":")[0] for h in next(reader)]
        u, i, t = header.index("user_id"), header.index("item_id"), header.index("timestamp")
        rows = [(r[u], r[i], float(r[t])) for r in reader if r]
    user_codes, item_codes = {}, {}
    users = np.fromiter((user_codes.setdefault(r[0], len(user_codes)) for r in rows), dtype=np.int64, count=len(rows))
    items = np.fromiter((item_codes.setdefault(r[1], len(item_codes)) for r in rows), dtype=np.int64, count=len(rows))
    times = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    return users, items, times


def _matrix(users, items, mask, shape, values=None) -> sp.csr_matrix:
    """Binary users x items matrix of the masked interactions, or `values` instead of ones."""
    data = np.ones(int(mask.sum())) if values is None else values[mask]
    return sp.csr_matrix((data.astype(np.float32), (users[mask], items[mask])), shape=shape)


def _profiles(users, items, times, mask, shape, half_life_days: float) -> sp.csr_matrix:
    """The rows the model scores: binary, or weighted by recency within each user's history."""
    if not half_life_days:
        return _matrix(users, items, mask, shape)
    weights = np.zeros(len(users))
    weights[mask] = profile_weights(users[mask], times[mask], half_life_days)
    return _matrix(users, items, mask, shape, weights)


def _score(model, X_query, heldout: dict, k: int = K) -> dict:
    """HR@k and NDCG@k of a fitted `model` for the users in `heldout` {user: item}, scoring their
    `X_query` rows (whose non-zero items are excluded)."""
    users = np.asarray(sorted(heldout), dtype=np.int64)
    recommended, _ = top_k(model, X_query[users], k)
    metrics = ranking_metrics(recommended, [{heldout[u]} for u in users.tolist()], k)
    return {"hr_at_10": round(metrics["hit_rate_at_10"], 4), "ndcg_at_10": round(metrics["ndcg_at_10"], 4),
            "users": metrics["users"]}


def _tune(make, grid, X_val, queries: dict, valid: dict) -> tuple:
    """Best (value, profile half-life) by validation NDCG@10 over `grid` x `queries`; returns it and the table."""
    scores = {}
    for value in grid:
        model = make(value).fit(X_val)
        for h, query in queries.items():
            scores[(value, h)] = _score(model, query, valid)["ndcg_at_10"]
    order = list(scores)
    best = max(order, key=lambda key: (scores[key], -order.index(key)))
    return best, scores


def shop_time_split() -> dict:
    """The training pipeline on the default synthetic history: {"models": {name: metrics}, "served_model",
    "beats_popularity", "events", "seconds"}."""
    import datetime as dt

    from ml.recommend.interactions import Events
    from ml.recommend.pipeline import train
    from ml.recommend.synthetic import generate_history

    history = generate_history()
    events = Events.from_records(
        (f"u{e.user}", f"i{e.item}", e.kind, e.at.replace(tzinfo=dt.timezone.utc).timestamp())
        for e in history.events if e.kind != "review" or e.rating >= 4)
    started = time.monotonic()
    result = train(events, float(events.times.max()))
    seconds = time.monotonic() - started
    keep = ("precision_at_10", "recall_at_10", "ndcg_at_10", "catalog_coverage", "users")
    return {"models": {name: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items() if k in keep}
                       for name, m in result.metrics["models"].items()},
            "served_model": result.served_model, "beats_popularity": result.personalized,
            "events": len(events), "seconds": round(seconds, 2)}


def run() -> dict:
    """Run the benchmark; returns {"dataset", "protocol", "users", "items", "interactions",
    "ease": {"hr_at_10", "ndcg_at_10", "l2", "profile_half_life_days"}, "ease_without_profile_weighting",
    "itemknn": {...}, "popularity": {...},
    "validation": {...}, "targets": {...}, "meets_targets": bool, "shop_time_split": {...}, "seconds": float}."""
    started = time.monotonic()
    users, items, times = load_interactions(dataset_path())
    shape = (int(users.max()) + 1, int(items.max()) + 1)
    train_test, (test,) = leave_last_out(users, items, times, holdout=1)
    train_val, (_, valid) = leave_last_out(users, items, times, holdout=2)
    X_val = _matrix(users, items, train_val, shape)
    X = _matrix(users, items, train_test, shape)
    val_queries = {h: _profiles(users, items, times, train_val, shape, h) for h in PROFILE_GRID}

    (l2, ease_h), ease_val = _tune(lambda v: EASE(l2=v), list(EASE_L2_GRID), X_val, val_queries, valid)
    (neighbours, knn_h), knn_val = _tune(lambda v: ItemKNN(n_neighbors=v), list(KNN_GRID), X_val, val_queries,
                                         valid)

    ease = dict(_score(EASE(l2=l2).fit(X), _profiles(users, items, times, train_test, shape, ease_h), test),
                l2=l2, profile_half_life_days=ease_h)
    ease_plain = dict(_score(EASE(l2=l2).fit(X), X, test), l2=l2, profile_half_life_days=0.0)
    knn = dict(_score(ItemKNN(n_neighbors=neighbours).fit(X),
                      _profiles(users, items, times, train_test, shape, knn_h), test),
               n_neighbors=neighbours, profile_half_life_days=knn_h)
    popularity = _score(Popularity().fit(X), X, test)
    targets = {"ndcg_at_10": 0.08, "hr_at_10": 0.15}
    return {
        "benchmark": "recommendations", "dataset": "MovieLens-100k (recbole==1.2.1 ml-100k.inter)",
        "protocol": "leave-last-out per user, full ranking over unseen items, k=10",
        "users": shape[0], "items": shape[1], "interactions": int(len(users)),
        "ease": ease, "ease_without_profile_weighting": ease_plain, "itemknn": knn, "popularity": popularity,
        "validation": {"ease_ndcg_at_10_by_l2_and_profile_half_life":
                       {f"{v}/{h}": round(s, 4) for (v, h), s in ease_val.items()},
                       "itemknn_ndcg_at_10_by_neighbours_and_profile_half_life":
                       {f"{v}/{h}": round(s, 4) for (v, h), s in knn_val.items()}},
        "targets": targets,
        "meets_targets": bool(ease["ndcg_at_10"] >= targets["ndcg_at_10"] and ease["hr_at_10"] >= targets["hr_at_10"]),
        "shop_time_split": shop_time_split(),
        "seconds": round(time.monotonic() - started, 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), separators=(",", ":")))
