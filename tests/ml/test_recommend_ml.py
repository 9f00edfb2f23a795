"""ml.recommend: interaction weights and decay, metrics, models, splits and the training pipeline."""

import datetime as dt
import math

import numpy as np
import pytest
import scipy.sparse as sp

from ml.recommend import evaluate as ev
from ml.recommend.interactions import EVENT_WEIGHTS, Events, build_matrix, decay_factors, profile_weights
from ml.recommend.models import EASE, ItemKNN, Popularity, PureSVD, top_k
from ml.recommend.pipeline import InsufficientData, TrainingOptions, train
from ml.recommend.synthetic import generate_history

DAY = 86400.0


def test_signals_are_weighted_orders_over_cart_adds_over_wishlists_over_reviews():
    assert EVENT_WEIGHTS["order"] > EVENT_WEIGHTS["cart_add"] > EVENT_WEIGHTS["wishlist"] > EVENT_WEIGHTS["review"] > 0


def test_decay_halves_an_interaction_every_half_life():
    now = 1000 * DAY
    factors = decay_factors(np.array([now, now - 90 * DAY, now - 180 * DAY, now + DAY]), now, 90)
    assert factors == pytest.approx([1.0, 0.5, 0.25, 1.0])
    assert decay_factors(np.array([0.0]), now, 0) == pytest.approx([1.0])


def test_matrix_sums_weighted_decayed_events_per_user_and_item():
    now = 100 * DAY
    events = Events.from_records([("u1", "a", "order", now), ("u1", "a", "wishlist", now - 30 * DAY),
                                  ("u2", "b", "cart_add", now), ("u2", "a", "review", now)])
    m = build_matrix(events, now, half_life_days=30)
    assert list(m.user_ids) == ["u1", "u2"] and list(m.item_ids) == ["a", "b"]
    dense = m.matrix.toarray()
    assert dense[0, 0] == pytest.approx(EVENT_WEIGHTS["order"] + EVENT_WEIGHTS["wishlist"] * 0.5)
    assert dense[1, 1] == pytest.approx(EVENT_WEIGHTS["cart_add"])
    assert dense[1, 0] == pytest.approx(EVENT_WEIGHTS["review"])


def test_unknown_event_kinds_are_refused():
    with pytest.raises(ValueError):
        Events.from_records([("u", "i", "click", 0.0)])


def test_profile_weights_favour_each_users_latest_events():
    users = np.array(["a", "a", "b"])
    times = np.array([0.0, DAY, 5 * DAY])
    w = profile_weights(users, times, half_life_days=1.0, floor=0.0)
    assert w == pytest.approx([0.5, 1.0, 1.0])
    assert profile_weights(users, times, None) == pytest.approx([1, 1, 1])


def test_ndcg_precision_recall_and_hit_rate_follow_their_definitions():
    recommended = np.array([[5, 1, 7, -1], [3, 4, 9, 8]])
    relevant = [{1, 2}, {0}]
    m = ev.ranking_metrics(recommended, relevant, k=3)
    # user 1: hit at rank 2 -> DCG = 1/log2(3); IDCG (2 relevant) = 1 + 1/log2(3); user 2: nothing
    ndcg_u1 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert m["ndcg_at_3"] == pytest.approx(ndcg_u1 / 2)
    assert m["precision_at_3"] == pytest.approx((1 / 3) / 2)
    assert m["recall_at_3"] == pytest.approx((1 / 2) / 2)
    assert m["hit_rate_at_3"] == pytest.approx(0.5)
    assert ev.ranking_metrics(np.array([[0, 1]]), [{0}], k=2)["ndcg_at_2"] == pytest.approx(1.0)
    assert ev.catalog_coverage(recommended, 10, k=3) == pytest.approx(6 / 10)


def test_top_k_skips_seen_items_and_breaks_ties_by_index():
    X = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0]], dtype=np.float32))
    pop = Popularity().fit(sp.csr_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=np.float32)))
    idx, _ = top_k(pop, X, 3)
    assert idx.tolist() == [[1, 2, 3], [0, 1, 2]]


def test_ease_has_a_zero_diagonal_and_learns_co_occurrence():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [1, 0, 0, 0]],
                               dtype=np.float32))
    model = EASE(l2=0.5).fit(X)
    assert np.allclose(np.diag(model.B), 0)
    idx, _ = top_k(model, X[4], 1)
    assert idx[0, 0] == 1  # whoever took item 0 also takes item 1


def test_item_knn_neighbours_are_cosine_similarities():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=np.float32))
    knn = ItemKNN(n_neighbors=2).fit(X)
    neighbours = dict(knn.neighbours(0, 2))
    assert neighbours[1] == pytest.approx(1 / (math.sqrt(2) * math.sqrt(2)))
    assert neighbours[2] == pytest.approx(1 / (math.sqrt(2) * 1))


def test_pure_svd_reconstructs_a_low_rank_matrix():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0]] * 3 + [[0, 0, 1, 1]] * 3, dtype=np.float32))
    model = PureSVD(n_components=2).fit(X)
    scores = model.score(sp.csr_matrix(np.array([[1, 0, 0, 0]], dtype=np.float32)))
    assert scores[0, 1] > scores[0, 2]


def test_leave_last_out_holds_out_each_users_latest_interaction():
    users = np.array([0, 0, 0, 1, 1, 2])
    items = np.array([10, 11, 12, 20, 21, 30])
    times = np.array([1, 3, 2, 5, 5, 1])
    mask, (last,) = ev.leave_last_out(users, items, times, holdout=1)
    assert last == {0: 11, 1: 21}  # ties keep file order; a single interaction is not held out
    assert mask.tolist() == [True, False, True, True, False, True]


def _synthetic_events(**kwargs):
    history = generate_history(**kwargs)
    records = [(f"u{e.user}", f"i{e.item}", e.kind, e.at.replace(tzinfo=dt.timezone.utc).timestamp())
               for e in history.events if e.kind != "review" or e.rating >= 4]
    return history, Events.from_records(records)


def test_the_pipeline_beats_popularity_on_a_history_with_planted_structure():
    history, events = _synthetic_events(n_users=200, n_items=80, seed=3)
    result = train(events, float(events.times.max()), TrainingOptions())
    m = result.metrics
    assert m["beats_popularity"] and result.personalized
    assert m["ndcg_at_10"] > 1.5 * m["popularity_ndcg_at_10"]
    assert m["models"]["itemknn"]["ndcg_at_10"] > m["models"]["popularity"]["ndcg_at_10"]
    # related products mostly come from the product's own planted segment
    same = total = 0
    for item, neighbours in result.related.items():
        for other, _ in neighbours[:5]:
            total += 1
            same += history.item_segment[int(item[1:])] == history.item_segment[int(other[1:])]
    assert same / total > 0.8
    # personal lists never repeat what the user already has
    seen = {}
    for u, i in zip(events.users.tolist(), events.items.tolist()):
        seen.setdefault(u, set()).add(i)
    assert all(not ({p for p, _ in picks} & seen[u]) for u, picks in result.user_recommendations.items())


def test_personal_lists_are_not_served_without_evidence_they_beat_popularity():
    _, events = _synthetic_events(n_users=150, n_items=60, seed=5)
    result = train(events, float(events.times.max()), TrainingOptions(min_eval_users=10_000))
    assert not result.personalized and not result.metrics["beats_popularity"]
    assert result.user_recommendations == {}
    assert result.popular and result.trending and result.related


def test_training_needs_at_least_two_users_and_items():
    with pytest.raises(InsufficientData):
        train(Events.from_records([("u", "i", "order", 0.0)]), 1.0)
