"""Recommendations through the API and a real worker: training job, registry, serving tables, fallbacks."""

import datetime as dt

import pytest

from ml.recommend.synthetic import generate_history
from models.db import utcnow
from models.ml import ModelVersion
from models.orders import Order, OrderItem
from models.recommendations import PopularProduct, RecommendationRun, RelatedProduct, UserRecommendation
from services import recommendations
from tests.factories import make_product, make_user, token_for

TRAIN = "/api/v1/recommendations/train"


@pytest.fixture()
def shop(db):
    """A SYNTHETIC history with planted segments, written as real orders, carts, wishlists and reviews."""
    history = generate_history(n_users=160, n_items=60, seed=11, end=utcnow())
    ids = recommendations.seed_synthetic_history(history)
    return history, ids


def train(api, token, options=None):
    status, body, headers = api.post(TRAIN, {"options": options} if options else {}, token=token)
    assert status == 202, body
    job = api.wait_job(body["data"]["id"], token=token, timeout=60)
    return job


def test_training_job_beats_popularity_registers_the_model_and_writes_serving_rows(api, admin_token, shop):
    history, ids = shop
    job = train(api, admin_token)
    assert job["state"] == "succeeded", job
    result = job["result"]
    metrics = result["metrics"]
    assert result["personalized"] is True
    assert metrics["beats_popularity"] is True
    assert metrics["ndcg_at_10"] > metrics["models"]["popularity"]["ndcg_at_10"]
    for name in ("precision_at_10", "recall_at_10", "ndcg_at_10", "catalog_coverage"):
        assert 0 <= metrics[name] <= 1
    assert job["progress"]["percentage"] == 100
    version = ModelVersion.get_by_id(result["modelVersionId"])
    assert (version.kind, version.status) == ("recommendations", "active")
    assert version.metrics["ndcg_at_10"] == pytest.approx(metrics["ndcg_at_10"])
    run = RecommendationRun.get_by_id(result["runId"])
    assert run.status == "active"
    assert RelatedProduct.select().where(RelatedProduct.run == run.id).count() > 0
    assert UserRecommendation.select().where(UserRecommendation.run == run.id).count() > 0
    assert PopularProduct.select().where(PopularProduct.run == run.id, PopularProduct.kind == "trending").count() > 0
    # the handler is idempotent: running the same job again returns the same run, writes nothing new
    from models.jobs import Job

    again = recommendations.run_training_job(Job.get_by_id(job["id"]), ctx=None)
    assert again["runId"] == run.id
    assert RecommendationRun.select().count() == 1


def test_serving_reads_precomputed_rows_not_live_data(api, admin_token, shop):
    history, ids = shop
    assert train(api, admin_token)["state"] == "succeeded"
    product_id = ids["products"][0]
    user = ids["users"][0]
    status, related, _ = api.get(f"/api/v1/products/{product_id}/related?limit=5")
    assert status == 200 and related["meta"]["source"] == "model"
    run_id = related["meta"]["runId"]
    stored = [r.related_id for r in RelatedProduct.select().where(RelatedProduct.run == run_id,
                                                                  RelatedProduct.product_id == product_id)
              .order_by(RelatedProduct.rank).limit(5)]
    assert [p["id"] for p in related["data"]] == stored
    assert [p["recommendation"]["rank"] for p in related["data"]] == [1, 2, 3, 4, 5]
    # related products share the product's planted segment
    segment = {pid: history.item_segment[i] for i, pid in enumerate(ids["products"])}
    assert sum(segment[p["id"]] == segment[product_id] for p in related["data"]) >= 4

    from models.users import User

    token = token_for(User.get_by_id(user))
    status, personal, _ = api.get("/api/v1/products/recommendations?limit=10", token=token)
    assert status == 200 and personal["meta"]["source"] == "model"
    stored = [r.product_id for r in UserRecommendation.select().where(UserRecommendation.run == run_id,
                                                                       UserRecommendation.user_id == user)
              .order_by(UserRecommendation.rank).limit(10)]
    assert [p["id"] for p in personal["data"]] == stored[:len(personal["data"])]
    status, trending, _ = api.get("/api/v1/products/trending?limit=5")
    assert status == 200 and trending["meta"]["source"] == "model" and len(trending["data"]) == 5

    # wiping the live history changes nothing: requests never train or score
    OrderItem.delete().execute()
    Order.delete().execute()
    assert api.get(f"/api/v1/products/{product_id}/related?limit=5")[1]["data"] == related["data"]
    assert api.get("/api/v1/products/trending?limit=5")[1]["data"] == trending["data"]


def test_before_training_trending_and_popular_are_computed_from_orders(api, db):
    hot, warm, cold = (make_product(name=n) for n in ("Hot", "Warm", "Cold"))
    buyer = make_user()
    now = utcnow()
    for product, qty, days_ago in ((hot, 5, 1), (warm, 9, 25), (cold, 30, 200)):
        order = Order.create(order_number=f"T-{product.id[-6:]}", customer=buyer, customer_email=buyer.email,
                             payment_method="cash_on_delivery", subtotal=100, total=100, currency="USD",
                             shipping_address={}, billing_address={}, shipping_method={},
                             created_at=now - dt.timedelta(days=days_ago))
        OrderItem.create(order=order, product_id=product.id, variant_id="var_x", quantity=qty, unit_price=10,
                         total_price=10 * qty, product_snapshot={})
    status, body, _ = api.get("/api/v1/products/trending")
    assert status == 200 and body["meta"]["source"] == "on_the_fly"
    assert [p["id"] for p in body["data"]] == [hot.id, warm.id]  # 5 units yesterday beat 9 units 25 days ago
    status, body, _ = api.get("/api/v1/products/recommendations")  # a guest
    assert body["meta"]["source"] == "popular"
    assert [p["id"] for p in body["data"]][:3] == [cold.id, warm.id, hot.id]
    status, body, _ = api.get(f"/api/v1/products/{hot.id}/related")
    assert status == 200 and body["meta"]["source"] == "popular_fallback"
    assert hot.id not in [p["id"] for p in body["data"]]
    status, body, _ = api.get("/api/v1/homepage/recommendations", token=token_for(buyer))
    assert status == 200
    assert [s["key"] for s in body["data"]["sections"]] == ["for_you", "trending", "new_arrivals", "popular"]
    for_you = body["data"]["sections"][0]["products"]
    assert not {hot.id, warm.id, cold.id} & {p["id"] for p in for_you}  # already bought


def test_new_customers_and_guests_get_popular_products_after_training(api, admin_token, shop):
    assert train(api, admin_token)["state"] == "succeeded"
    newcomer = token_for(make_user())
    for token in (newcomer, None):
        status, body, _ = api.get("/api/v1/products/recommendations?limit=4", token=token)
        assert status == 200 and body["meta"]["source"] == "popular" and len(body["data"]) == 4
    status, body, _ = api.get("/api/v1/homepage/recommendations?limit=3")
    assert [s["key"] for s in body["data"]["sections"]] == ["trending", "new_arrivals", "popular"]
    assert all(len(s["products"]) == 3 for s in body["data"]["sections"])


def test_static_recommendation_paths_are_not_taken_as_product_ids(api, db):
    make_product()
    assert api.get("/api/v1/products/trending")[0] == 200
    assert api.get("/api/v1/products/recommendations")[0] == 200
    status, body, _ = api.get("/api/v1/products/prod_doesnotexist")
    assert status == 404 and body["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert api.get("/api/v1/products/prod_doesnotexist/related")[0] == 404


def test_training_is_admin_only_and_checks_its_options(api, db, admin_token):
    assert api.post(TRAIN, {})[0] == 401
    assert api.post(TRAIN, {}, token=token_for(make_user()))[0] == 403
    for bad in ({"options": {"halfLifeDays": 0}}, {"options": {"nope": 1}}, {"options": {"relatedPerProduct": 2.5}},
                {"extra": True}, {"options": {"testFraction": "0.2"}}):
        status, body, _ = api.post(TRAIN, bad, token=admin_token)
        assert status == 422, (bad, body)
        assert body["error"]["code"] == "VALIDATION_ERROR"
    for bad in ("limit=0", "limit=51", "limit=x"):
        assert api.get(f"/api/v1/products/trending?{bad}")[0] == 422


def test_training_without_enough_interactions_fails_without_retry(api, admin_token):
    job = train(api, admin_token)
    assert job["state"] == "failed"
    assert job["error"]["reason"] == "insufficient_data" and job["attempts"] == 1


def test_a_registry_rollback_rolls_personal_lists_back_while_lists_stay_fresh(api, admin_token, shop):
    first = train(api, admin_token)["result"]
    second = train(api, admin_token, {"recommendationsPerUser": 5})["result"]
    assert first["personalized"] and second["personalized"]
    assert ModelVersion.get_by_id(first["modelVersionId"]).status == "retired"
    assert RecommendationRun.get_by_id(first["runId"]).status == "superseded"
    assert recommendations.personal_run().id == second["runId"]
    from services.platform import model_registry

    model_registry.rollback("recommendations")
    assert recommendations.personal_run().id == first["runId"]
    assert recommendations.newest_run().id == second["runId"]
    status, body, _ = api.get("/api/v1/recommendations/model", token=admin_token)
    assert status == 200
    assert body["data"]["activeRun"]["runId"] == second["runId"]
    assert body["data"]["personalRunId"] == first["runId"]
    assert body["data"]["activeModelVersionId"] == first["modelVersionId"]
    assert api.get("/api/v1/recommendations/model", token=token_for(make_user()))[0] == 403


class _Ctx:
    def progress(self, *args):
        pass


def test_a_retried_training_job_cleans_up_the_half_written_run_of_its_earlier_attempt(db, shop):
    from models.jobs import Job
    from services.platform import jobs, model_registry

    job = jobs.create_job("recommendations_train", {"options": {}})
    stale = RecommendationRun.create(job_id=job.id, status="building")
    orphan = model_registry.register("recommendations", {"format": "partial"}, metrics={}, features=[])
    RecommendationRun.update(model_version_id=orphan.id).where(RecommendationRun.id == stale.id).execute()
    PopularProduct.create(run=stale.id, kind="popular", rank=1, product_id="prod_stale", score=1.0)
    result = recommendations.run_training_job(Job.get_by_id(job.id), _Ctx())
    assert RecommendationRun.get_or_none(RecommendationRun.id == stale.id) is None
    assert PopularProduct.select().where(PopularProduct.product_id == "prod_stale").count() == 0
    assert ModelVersion.get_by_id(orphan.id).status == "rejected"
    run = RecommendationRun.get_by_id(result["runId"])
    assert run.status == "active" and run.job_id == job.id
    assert ModelVersion.get_by_id(run.model_version_id).status == "active"


def test_the_synthetic_shops_stock_is_in_the_ledger(shop):
    from models.catalog import InventoryLevel
    from services import catalog

    levels = list(InventoryLevel.select())
    assert len(levels) == 60
    for level in levels:
        assert catalog.ledger_totals(level.variant_id, level.warehouse_id) == (level.quantity, level.reserved)
