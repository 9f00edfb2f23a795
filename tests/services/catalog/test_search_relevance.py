"""Search relevance, measured: NDCG@10 of product search over the judged query set
`data/search/judgements.json` on the demo catalog (the three seed shops of
data/demo/shops.json, seeded by services.demo; the Shopify sample CSVs are imported by jobs and
are left out: they have no judgements and the jobs are not run here).

NDCG (normalised discounted cumulative gain, Järvelin & Kekäläinen, "Cumulated gain-based
evaluation of IR techniques", ACM TOIS 20(4), 2002), with the exponential gain of Burges et al.
(2005) in common use:  DCG@k = sum over ranks i = 1..k of (2^rel_i - 1) / log2(i + 1), and
NDCG@k = DCG@k / IDCG@k, IDCG being the DCG of the judged products in their best order. A
query's products not judged have relevance 0. The figure is the mean over the queries.

The threshold was set from the first runs (printed by the test with `-s`): 0.962 on SQLite and
on PostgreSQL with pg_trgm's default similarity thresholds (the typos "orchd" / "sunflwer"
found nothing), 0.995 on both once they were lowered (services.catalog.search_index); the
threshold, 0.95, is a little below, so a change that hurts ranking fails here.
"""

import json
import math

import pytest

import config
from services import demo
from services.catalog.search import search_products

JUDGEMENTS = config.ROOT / "data" / "search" / "judgements.json"
K = 10
THRESHOLD = 0.95


def dcg(relevances: list[int], k: int = K) -> float:
    """Σ_{i=1..k} (2^rel_i − 1) / log2(i + 1) (Järvelin & Kekäläinen 2002, exponential gain)."""
    return sum((2 ** rel - 1) / math.log2(i + 1) for i, rel in enumerate(relevances[:k], start=1))


def ndcg(ranked_handles: list[str], judged: dict[str, int], k: int = K) -> float:
    """NDCG@k of one ranking against graded judgements {handle: relevance}; 0..1."""
    ideal = dcg(sorted(judged.values(), reverse=True), k)
    return dcg([judged.get(h, 0) for h in ranked_handles], k) / ideal if ideal else 0.0


def test_the_ndcg_formula_on_a_hand_computed_ranking():
    judged = {"a": 3, "b": 2, "c": 1}
    assert ndcg(["a", "b", "c"], judged) == pytest.approx(1.0)
    # ranks: c (1), x (0), a (3): DCG = 1/1 + 0 + 7/2 = 4.5; IDCG = 7 + 3/log2(3) + 1/2
    assert ndcg(["c", "x", "a"], judged) == pytest.approx(4.5 / (7 + 3 / math.log2(3) + 0.5))
    assert ndcg([], judged) == 0.0


def test_search_relevance_on_the_demo_catalog_meets_the_threshold(db, backend):
    demo.seed_demo_if_empty()
    queries = json.loads(JUDGEMENTS.read_text(encoding="utf-8"))["queries"]
    scores = {}
    for query, judged in queries.items():
        handles = [v.product.handle for v in search_products(query, limit=K).views]
        scores[query] = ndcg(handles, judged)
    mean = sum(scores.values()) / len(scores)
    backend_name = "PostgreSQL" if backend["postgres"] else "SQLite"
    worst = sorted(scores.items(), key=lambda item: item[1])[:5]
    print(f"\nsearch NDCG@{K} on {backend_name}: {mean:.3f} over {len(scores)} queries; lowest: "
          + ", ".join(f"{q!r} {s:.2f}" for q, s in worst))
    assert mean >= THRESHOLD, scores
