"""Review moderation (issue 9): staff approve and reject (with a reason) through the queue, audit
logged; customers report a review once, enough reports hide it until staff approve it back;
helpful votes are one per customer, never on one's own review, and exact under concurrent votes;
migration 0017 upgrades an existing database, its reviews becoming approved."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest

import config
from models.audit import AuditEntry
from models.catalog import Product
from models.db import database, init_database
from models.migrate import apply_migrations, migration_names
from models.reviews import Review, ReviewReport, ReviewVote
from tests.factories import ApiClient, assert_error, make_product, quick_user, token_for

ADMIN = "/api/v1/admin/reviews"


@pytest.fixture()
def product(db):
    return make_product(name="Comté")


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff", last_name="Moderator"))


def write_review(api, product, rating=4, **fields):
    token = token_for(quick_user())
    status, body, _ = api.post(f"/api/v1/products/{product.id}/reviews", {"rating": rating, **fields}, token=token)
    assert status == 201, body
    return body["data"], token


def approved_review(api, product, staff_token, rating=4):
    review, token = write_review(api, product, rating)
    assert api.post(f"{ADMIN}/{review['id']}/approve", token=staff_token)[0] == 200
    return review, token


def public_ids(api, product):
    return [r["id"] for r in api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"]]


# --------------------------------------------------------------------------- moderation

def test_staff_see_the_pending_queue_and_approve_a_review(api, product, staff_token):
    review, author = write_review(api, product, rating=5, title="Nutty")
    write_review(api, make_product(name="Other"), rating=2)
    assert public_ids(api, product) == []
    status, body, _ = api.get(f"{ADMIN}?status=pending&productId={product.id}", token=staff_token)
    assert status == 200, body
    assert [r["id"] for r in body["data"]] == [review["id"]] and body["pagination"]["total"] == 1
    assert api.get(f"{ADMIN}?status=pending&rating=2", token=staff_token)[1]["pagination"]["total"] == 1
    assert api.get(f"{ADMIN}?status=approved", token=staff_token)[1]["data"] == []
    assert api.get(f"{ADMIN}?status=bogus", token=staff_token)[0] == 422

    status, body, _ = api.post(f"{ADMIN}/{review['id']}/approve", token=staff_token)
    assert status == 200 and body["data"]["status"] == "approved", body
    listed = api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"]
    assert [(r["id"], r["author"]) for r in listed] == [(review["id"], "Test")]  # the author, not the moderator
    stored = Review.get_by_id(review["id"])
    assert stored.moderated_by_id is not None and stored.moderated_at is not None
    entry = AuditEntry.get(AuditEntry.action == "POST /api/v1/admin/reviews/<id(rev):review_id>/approve")
    assert (entry.target_type, entry.target_id, entry.actor_role) == ("review", review["id"], "staff")


def test_rejecting_needs_a_reason_which_the_author_sees(api, product, staff_token):
    review, author = write_review(api, product)
    path = f"{ADMIN}/{review['id']}/reject"
    assert api.post(path, {}, token=staff_token)[0] == 422
    assert api.post(path, {"reason": ""}, token=staff_token)[0] == 422
    status, body, _ = api.post(path, {"reason": "   "}, token=staff_token)
    assert_error(status, body, 422, "missing_reject_reason")
    status, body, _ = api.post(path, {"reason": "Mentions a competitor"}, token=staff_token)
    assert status == 200 and body["data"]["status"] == "rejected", body
    assert public_ids(api, product) == []
    mine = api.get("/api/v1/users/me/reviews", token=author)[1]["data"]
    assert [(r["status"], r["moderationReason"]) for r in mine] == [("rejected", "Mentions a competitor")]
    # someone else cannot see it, nor change it
    assert api.put(f"/api/v1/reviews/{review['id']}", {"rating": 1}, token=token_for(quick_user()))[0] == 404
    # the author fixes the text: back in the queue
    body = api.put(f"/api/v1/reviews/{review['id']}", {"body": "Fixed"}, token=author)[1]
    assert body["data"]["status"] == "pending" and body["data"]["moderationReason"] is None


def test_moderation_is_for_staff_only(api, product, staff_token):
    review, author = write_review(api, product)
    for method, path, body in (("GET", ADMIN, None), ("POST", f"{ADMIN}/{review['id']}/approve", None),
                               ("POST", f"{ADMIN}/{review['id']}/reject", {"reason": "no"})):
        status, answer, _ = api.call(method, path, json=body)
        assert_error(status, answer, 401)
        status, answer, _ = api.call(method, path, json=body, token=author)
        assert_error(status, answer, 403, "insufficient_role")
    assert api.post(f"{ADMIN}/{review['id']}/approve", token=token_for(quick_user(role="admin")))[0] == 200
    assert_error(*api.post(f"{ADMIN}/rev_missing/approve", token=staff_token)[:2], 404, "review_not_found")


# --------------------------------------------------------------------------- reports

def report(api, review_id, token, reason="spam", **extra):
    return api.post(f"/api/v1/reviews/{review_id}/report", {"reason": reason, **extra}, token=token)


def test_a_customer_reports_a_review_once(api, product, staff_token):
    review, author = approved_review(api, product, staff_token)
    reporter = token_for(quick_user())
    status, body, _ = report(api, review["id"], reporter, comment="Copied from elsewhere")
    assert status == 200, body
    assert_error(*report(api, review["id"], reporter, reason="fake")[:2], 409, "review_already_reported")
    assert_error(*report(api, review["id"], author)[:2], 403, "own_review")
    assert report(api, review["id"], reporter, reason="boring")[0] == 422
    assert report(api, review["id"], None)[0] == 401
    assert Review.get_by_id(review["id"]).reported_count == 1
    assert ReviewReport.select().count() == 1
    pending, _ = write_review(api, product)
    assert_error(*report(api, pending["id"], reporter)[:2], 404, "review_not_found")


def test_reports_reaching_the_threshold_hide_a_review_until_staff_approve_it_back(api, product, staff_token):
    config.override(dataclasses.replace(config.get(), reviews_report_hide_threshold=3))
    review, _ = approved_review(api, product, staff_token, rating=1)
    for n in range(2):
        assert report(api, review["id"], token_for(quick_user()))[0] == 200
    assert public_ids(api, product) == [review["id"]]
    assert report(api, review["id"], token_for(quick_user()), reason="offensive")[0] == 200
    assert Review.get_by_id(review["id"]).status == "hidden"
    listed = api.get(f"/api/v1/products/{product.id}/reviews")[1]
    assert listed["data"] == [] and listed["summary"]["totalReviews"] == 0
    hidden = api.get(f"{ADMIN}?status=hidden", token=staff_token)[1]["data"]
    assert [(r["id"], r["reportedCount"]) for r in hidden] == [(review["id"], 3)]
    assert api.post(f"{ADMIN}/{review['id']}/approve", token=staff_token)[1]["data"]["status"] == "approved"
    assert report(api, review["id"], token_for(quick_user()))[0] == 200  # staff have seen it: stays up
    assert public_ids(api, product) == [review["id"]]
    assert Review.get_by_id(review["id"]).reported_count == 4


# --------------------------------------------------------------------------- helpful votes

def test_helpful_votes_are_one_per_customer_and_not_on_ones_own_review(api, product, staff_token):
    review, author = approved_review(api, product, staff_token)
    path = f"/api/v1/reviews/{review['id']}/helpful"
    voter = token_for(quick_user())
    status, body, _ = api.post(path, token=voter)
    assert status == 200 and body["data"]["helpfulCount"] == 1, body
    assert api.post(path, token=voter)[1]["data"]["helpfulCount"] == 1  # again: no change
    assert api.post(path, token=token_for(quick_user()))[1]["data"]["helpfulCount"] == 2
    assert_error(*api.post(path, token=author)[:2], 403, "own_review")
    assert api.delete(path, token=voter)[1]["data"]["helpfulCount"] == 1
    assert api.delete(path, token=voter)[1]["data"]["helpfulCount"] == 1  # nothing to take back
    assert api.post(path)[0] == 401
    assert api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"][0]["helpfulCount"] == 1
    pending, _ = write_review(api, product)
    assert_error(*api.post(f"/api/v1/reviews/{pending['id']}/helpful", token=voter)[:2], 404, "review_not_found")


def test_concurrent_helpful_votes_and_reports_are_counted_exactly(app, api, product, staff_token, backend):
    config.override(dataclasses.replace(config.get(), reviews_report_hide_threshold=1000))
    review, _ = approved_review(api, product, staff_token)
    voters = [token_for(quick_user()) for _ in range(16)]

    def vote_and_report(token):
        client = ApiClient(app.test_client())
        statuses = [client.post(f"/api/v1/reviews/{review['id']}/helpful", token=token)[0] for _ in range(2)]
        statuses.append(report(client, review["id"], token)[0])
        statuses.append(report(client, review["id"], token)[0])
        return statuses

    with ThreadPoolExecutor(max_workers=8 if backend["postgres"] else 4) as pool:
        outcomes = list(pool.map(vote_and_report, voters))
    assert all(o[:3] == [200, 200, 200] and o[3] == 409 for o in outcomes), outcomes
    stored = Review.get_by_id(review["id"])
    assert stored.helpful_count == ReviewVote.select().count() == 16
    assert stored.reported_count == ReviewReport.select().count() == 16


# --------------------------------------------------------------------------- migration 0017

OLD_REVIEW = """CREATE TABLE review (id VARCHAR(64) NOT NULL PRIMARY KEY,
    product_id VARCHAR(64) NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    user_id VARCHAR(64) NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5), title VARCHAR(200) NOT NULL, body TEXT NOT NULL,
    is_verified_purchase INTEGER NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)"""


def test_0017_adds_moderation_to_existing_reviews_which_become_approved(settings, tmp_path, backend):
    """A database from before 0017: `review` as seed 001 made it (0005 creates the current table,
    so it is rebuilt by hand), without the three new tables."""
    if backend["postgres"]:
        pytest.skip("rebuilds a SQLite database by hand")
    init_database(f"sqlite:///{tmp_path / 'reviews.db'}")
    names = migration_names()
    with database.connection_context():
        apply_migrations(target=names[names.index("0017_review_moderation") - 1])
        for table in ("review_media", "review_vote", "review_report", "review"):
            database.execute_sql(f"DROP TABLE IF EXISTS {table}")
        database.execute_sql(OLD_REVIEW)
        database.execute_sql("CREATE UNIQUE INDEX review_user_id_product_id ON review (user_id, product_id)")
        database.execute_sql("CREATE INDEX review_product_id_created_at ON review (product_id, created_at)")
        user = quick_user()
        product = Product.create(name="Old cheese", handle="old-cheese", currency="USD", price=900)  # no stock:
        database.execute_sql("INSERT INTO review (id, product_id, user_id, rating, title, body, is_verified_purchase, "
                             "created_at, updated_at) VALUES ('rev_old', ?, ?, 4, 'Old', '', 0, '2025-01-01', "
                             "'2025-01-01')", (product.id, user.id))

        assert apply_migrations() == names[names.index("0017_review_moderation"):]
        old = Review.get_by_id("rev_old")
        assert (old.status, old.reported_count, old.helpful_count, old.moderated_by_id) == ("approved", 0, 0, None)
        assert {"review_media", "review_vote", "review_report"} <= set(database.get_tables())
        indexes = {row[1] for row in database.execute_sql("PRAGMA index_list('review')").fetchall()}
        assert {"review_product_id_status_created_at", "review_user_id_product_id"} <= indexes
        new = Review.create(product=product.id, user=quick_user().id, rating=5)
        assert Review.get_by_id(new.id).status == "pending"  # the model's default for new reviews
        ReviewVote.create(review="rev_old", user=new.user_id)
        assert apply_migrations() == []
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
