"""Offline evaluation of top-N recommenders.

Metrics, for a user with relevant set R (the items they interacted with in
the held-out period, not seen before) and the top-k list L (k = 10):

- precision@k = |L ∩ R| / k
- recall@k = |L ∩ R| / |R|
- hit rate@k (HR@k) = 1 if |L ∩ R| > 0 else 0
- NDCG@k with binary relevance (Järvelin & Kekäläinen, "Cumulated gain-based
  evaluation of IR techniques", ACM TOIS 20(4), 2002):
  DCG@k = sum_{r=1..k} rel(L_r) / log2(r + 1),
  NDCG@k = DCG@k / IDCG@k, IDCG@k = sum_{r=1..min(|R|, k)} 1 / log2(r + 1)

each averaged over the evaluated users; catalog coverage = distinct items in
any evaluated user's top-k / items in the catalog (Ge, Delgado-Battenfeld &
Jannach, "Beyond accuracy", RecSys 2010).

Protocols:
- `time_split`: every event before a cut-off time trains, every event after
  it tests (no peeking into the future: the model is fitted with recency
  decay relative to the cut-off). Evaluated users are those with training
  history and at least one new, known item after the cut-off.
- `leave_last_out`: each user's last interaction is the test item, the
  rest train; full ranking over all items the user has not interacted with
  (the RecBole "LS" protocol, with `full` evaluation).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ml.recommend.interactions import Events, InteractionMatrix
from ml.recommend.models import top_k

K = 10


def dcg_discounts(k: int) -> np.ndarray:
    """`1 / log2(r + 1)` for ranks r = 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2))


def ranking_metrics(recommended: np.ndarray, relevant: list, k: int = K) -> dict:
    """Mean precision@k, recall@k, hit rate@k and NDCG@k (binary relevance, see module docstring).

    `recommended`: (n_users x >= k) item indices, best first (-1 = empty slot);
    `relevant`: one set of item indices per user (each non-empty).
    Returns {"precision_at_k", "recall_at_k", "hit_rate_at_k", "ndcg_at_k", "users"} with k in the names.
    """
    n = len(relevant)
    if n == 0:
        return {f"precision_at_{k}": 0.0, f"recall_at_{k}": 0.0, f"hit_rate_at_{k}": 0.0,
                f"ndcg_at_{k}": 0.0, "users": 0}
    discounts = dcg_discounts(k)
    precision = recall = hits = ndcg = 0.0
    for row, rel in zip(recommended[:, :k], relevant):
        gains = np.fromiter((1.0 if item in rel else 0.0 for item in row.tolist()), dtype=np.float64,
                            count=len(row))
        found = gains.sum()
        precision += found / k
        recall += found / len(rel)
        hits += 1.0 if found > 0 else 0.0
        ideal = discounts[:min(len(rel), k)].sum()
        ndcg += float(gains @ discounts[:len(gains)]) / ideal
    return {f"precision_at_{k}": float(precision / n), f"recall_at_{k}": float(recall / n),
            f"hit_rate_at_{k}": float(hits / n), f"ndcg_at_{k}": float(ndcg / n), "users": n}


def catalog_coverage(recommended: np.ndarray, n_items: int, k: int = K) -> float:
    """Share of the `n_items` catalog items that appear in at least one top-k list."""
    if n_items == 0:
        return 0.0
    shown = recommended[:, :k]
    return len(set(shown[shown >= 0].ravel().tolist())) / n_items


def evaluate(model, train_rows: sp.csr_matrix, relevant: list, n_catalog: int, k: int = K) -> dict:
    """Rank for the users whose training rows are `train_rows` (seen items excluded) and score the lists.

    Returns ranking_metrics(...) plus "catalog_coverage"."""
    recommended, _ = top_k(model, train_rows, k)
    metrics = ranking_metrics(recommended, relevant, k)
    metrics["catalog_coverage"] = catalog_coverage(recommended, n_catalog, k)
    return metrics


def time_cutoff(times: np.ndarray, test_fraction: float) -> float:
    """The time before which `1 - test_fraction` of the events fall (POSIX seconds)."""
    return float(np.quantile(np.asarray(times, dtype=np.float64), 1.0 - test_fraction))


def split_by_time(events: Events, cutoff: float) -> tuple[Events, Events]:
    """(events strictly before `cutoff`, events at or after it)."""
    before = events.times < cutoff
    return events.subset(before), events.subset(~before)


def heldout_relevance(train: InteractionMatrix, test: Events) -> tuple[np.ndarray, list]:
    """The evaluation users of a time split and their relevant sets.

    Returns `(rows, relevant)`: training-matrix row numbers of users who have
    training history and at least one test item that is in the training
    catalog and that they had not interacted with before; `relevant[i]` is
    that set of column numbers for `rows[i]`.
    """
    seen = train.matrix
    wanted: dict[int, set] = {}
    for user, item in zip(test.users.tolist(), test.items.tolist()):
        row = train.user_index.get(user)
        col = train.item_index.get(item)
        if row is None or col is None:
            continue
        wanted.setdefault(row, set()).add(col)
    rows, relevant = [], []
    for row in sorted(wanted):
        start, end = seen.indptr[row], seen.indptr[row + 1]
        fresh = wanted[row] - set(seen.indices[start:end].tolist())
        if fresh:
            rows.append(row)
            relevant.append(fresh)
    return np.asarray(rows, dtype=np.int64), relevant


def leave_last_out(users: np.ndarray, items: np.ndarray, times: np.ndarray, holdout: int = 1):
    """Split implicit interactions per user by time: each user's last `holdout` interaction(s) are held out.

    `users`, `items` are integer codes, `times` sortable; ties in time keep the
    input order (a stable sort). Users with fewer than `holdout + 1`
    interactions are kept whole in training. Returns `(train_mask, heldout)`:
    a boolean mask over the inputs and, per held-out position, a dict
    {user: item} for position 1 (last), 2 (second-to-last)...
    """
    order = np.lexsort((np.arange(len(users)), times, users))
    train_mask = np.ones(len(users), dtype=bool)
    heldout = [dict() for _ in range(holdout)]
    sorted_users = users[order]
    boundaries = np.flatnonzero(np.diff(sorted_users)) + 1
    for group in np.split(order, boundaries):
        if len(group) <= holdout:
            continue
        for position in range(holdout):
            idx = group[len(group) - 1 - position]
            heldout[position][int(users[idx])] = int(items[idx])
            train_mask[idx] = False
    return train_mask, heldout
