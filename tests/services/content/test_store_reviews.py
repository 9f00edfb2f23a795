"""Store ratings under concurrency: parallel reviews by different customers are all counted, and
one customer's parallel reviews of one store give one review and conflicts."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from models.catalog import Store
from models.db import database
from models.stores import StoreReview
from services import content
from services.errors import Conflict
from tests.factories import make_store, quick_user


def _in_parallel(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        with database.connection_context():
            barrier.wait()
            try:
                call()
                return "ok"
            except Conflict as exc:
                return exc.reason

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_reviews_keep_the_sum_and_count_exact(db):
    store = make_store()
    users = [quick_user() for _ in range(12)]
    outcomes = _in_parallel([lambda u=u, r=r: content.review_store(store.id, u, r, "")
                             for u, r in zip(users, [1, 2, 3, 4, 5] * 3)])
    assert outcomes == ["ok"] * 12
    row = Store.get_by_id(store.id)
    assert (row.rating_count, row.rating_sum) == (12, sum([1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]))
    assert content.store_view(row)["ratings"] == {"average": round(33 / 12, 2), "count": 12}


def test_one_customer_racing_reviews_of_a_store_gives_one_review(db):
    store, user = make_store(), quick_user()
    outcomes = _in_parallel([lambda r=r: content.review_store(store.id, user, r, "") for r in (5, 4, 3, 2)])
    assert sorted(outcomes) == ["ok"] + ["store_already_reviewed"] * 3
    row = Store.get_by_id(store.id)
    review = StoreReview.get(StoreReview.store == store.id)
    assert (row.rating_count, row.rating_sum) == (1, review.rating)
