"""Reviews: one per customer and product, paginated lists with a rating summary, author-or-admin edits."""

import pytest

from models.orders import Order, OrderItem
from services import recommendations
from tests.factories import make_product, make_user, token_for


@pytest.fixture()
def product(db):
    return make_product(name="Brie de Meaux")


def url(product):
    return f"/api/v1/products/{product.id}/reviews"


def test_a_customer_reviews_a_product_once(api, product):
    user = make_user()
    token = token_for(user)
    status, body, _ = api.post(url(product), {"rating": 5, "title": "Creamy", "body": "Perfectly ripe."}, token=token)
    assert status == 201, body
    review = body["data"]
    assert (review["rating"], review["title"], review["userId"]) == (5, "Creamy", user.id)
    assert review["author"] == "Test U." and review["isVerifiedPurchase"] is False
    status, body, _ = api.post(url(product), {"rating": 1}, token=token)
    assert status == 409 and body["error"]["code"] == "CONFLICT"


def test_reviews_are_listed_newest_first_with_a_summary_and_pagination(api, product):
    for rating in (5, 4, 2):
        api.post(url(product), {"rating": rating}, token=token_for(make_user()))
    status, body, _ = api.get(f"{url(product)}?limit=2")
    assert status == 200
    assert [r["rating"] for r in body["data"]] == [2, 4]
    assert body["pagination"]["total"] == 3 and body["pagination"]["hasNext"] is True
    assert body["summary"]["averageRating"] == pytest.approx(3.7)
    assert body["summary"]["totalReviews"] == 3
    assert body["summary"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert api.get(f"{url(product)}?page=2&limit=2")[1]["data"][0]["rating"] == 5


def test_bad_reviews_are_refused(api, product):
    token = token_for(make_user())
    for bad in ({}, {"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4.5}, {"rating": True},
                {"rating": 5, "title": "x" * 201}, {"rating": 5, "body": "x" * 5001}, {"rating": 5, "stars": 5}):
        status, body, _ = api.post(url(product), bad, token=token)
        assert status == 422, (bad, body)
    assert api.post(url(product), {"rating": 5})[0] == 401
    assert api.post("/api/v1/products/prod_missing/reviews", {"rating": 5}, token=token)[0] == 404
    assert api.get("/api/v1/products/prod_missing/reviews")[0] == 404


def test_only_the_author_or_an_admin_may_change_a_review(api, product):
    author = token_for(make_user())
    review = api.post(url(product), {"rating": 3, "title": "OK"}, token=author)[1]["data"]
    path = f"/api/v1/reviews/{review['id']}"
    status, body, _ = api.put(path, {"rating": 4}, token=author)
    assert status == 200 and body["data"]["rating"] == 4 and body["data"]["title"] == "OK"
    stranger = token_for(make_user())
    assert api.put(path, {"rating": 1}, token=stranger)[0] == 403
    assert api.delete(path, token=stranger)[0] == 403
    assert api.put(path, {"rating": 9}, token=author)[0] == 422
    assert api.put("/api/v1/reviews/rev_missing", {"rating": 1}, token=author)[0] == 404
    admin = token_for(make_user(role="admin"))
    assert api.put(path, {"title": "Edited by staff"}, token=admin)[0] == 200
    assert api.delete(path, token=admin)[0] == 200
    assert api.delete(path, token=author)[0] == 404
    assert api.get(url(product))[1]["pagination"]["total"] == 0


def test_a_review_after_a_purchase_is_verified_and_good_reviews_feed_recommendations(api, product):
    buyer = make_user()
    order = Order.create(order_number="T-1", customer=buyer, customer_email=buyer.email,
                         payment_method="cash_on_delivery", subtotal=100, total=100, currency="USD",
                         shipping_address={}, billing_address={}, shipping_method={})
    OrderItem.create(order=order, product_id=product.id, variant_id="var_x", quantity=1, unit_price=100,
                     total_price=100, product_snapshot={})
    body = api.post(url(product), {"rating": 4}, token=token_for(buyer))[1]
    assert body["data"]["isVerifiedPurchase"] is True
    api.post(url(product), {"rating": 2}, token=token_for(make_user()))
    kinds = sorted(recommendations.load_events().kinds.tolist())
    assert kinds == ["order", "review"]  # the 2-star review is not a signal
