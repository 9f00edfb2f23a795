"""Reviews: one per customer and product, paginated lists of approved reviews with a rating
summary, author-or-admin edits, re-moderation of edited text, verified purchases from delivered
orders."""

import pytest

from models.orders import Order, OrderItem
from services import recommendations
from tests.factories import make_product, make_user, quick_user, token_for


@pytest.fixture()
def product(db):
    return make_product(name="Brie de Meaux")


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def url(product):
    return f"/api/v1/products/{product.id}/reviews"


def approve(api, review_id, staff_token):
    status, body, _ = api.post(f"/api/v1/admin/reviews/{review_id}/approve", token=staff_token)
    assert status == 200, body
    return body["data"]


def delivered_order(buyer, product, status="delivered"):
    order = Order.create(order_number=f"T-{buyer.id[-6:]}", customer=buyer, customer_email=buyer.email,
                         payment_method="cash_on_delivery", subtotal=100, total=100, currency="USD",
                         shipping_address={}, billing_address={}, shipping_method={}, status=status)
    OrderItem.create(order=order, product_id=product.id, variant_id="var_x", quantity=1, unit_price=100,
                     total_price=100, product_snapshot={})
    return order


def test_a_customer_reviews_a_product_once(api, product):
    user = make_user()
    token = token_for(user)
    status, body, _ = api.post(url(product), {"rating": 5, "title": "Creamy", "body": "Perfectly ripe."}, token=token)
    assert status == 201, body
    review = body["data"]
    assert (review["rating"], review["title"], review["userId"]) == (5, "Creamy", user.id)
    assert review["author"] == "Test U." and review["isVerifiedPurchase"] is False
    assert review["status"] == "pending" and review["media"] == [] and review["helpfulCount"] == 0
    status, body, _ = api.post(url(product), {"rating": 1}, token=token)
    assert status == 409 and body["error"]["code"] == "CONFLICT"


def test_reviews_are_listed_newest_first_with_a_summary_and_pagination(api, product, staff_token):
    for rating in (5, 4, 2):
        review = api.post(url(product), {"rating": rating}, token=token_for(make_user()))[1]["data"]
        approve(api, review["id"], staff_token)
    api.post(url(product), {"rating": 1}, token=token_for(make_user()))  # pending: neither listed nor counted
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


def test_only_the_author_or_an_admin_may_change_a_review(api, product, staff_token):
    author = token_for(make_user())
    review = api.post(url(product), {"rating": 3, "title": "OK"}, token=author)[1]["data"]
    path = f"/api/v1/reviews/{review['id']}"
    stranger = token_for(make_user())
    assert api.put(path, {"rating": 1}, token=stranger)[0] == 404  # pending: not visible to others
    approve(api, review["id"], staff_token)
    status, body, _ = api.put(path, {"rating": 4}, token=author)
    assert status == 200 and body["data"]["rating"] == 4 and body["data"]["title"] == "OK"
    assert body["data"]["status"] == "approved"  # a rating change alone keeps the status
    assert api.put(path, {"rating": 1}, token=stranger)[0] == 403
    assert api.delete(path, token=stranger)[0] == 403
    assert api.put(path, {"rating": 9}, token=author)[0] == 422
    assert api.put("/api/v1/reviews/rev_missing", {"rating": 1}, token=author)[0] == 404
    admin = token_for(make_user(role="admin"))
    assert api.put(path, {"title": "Edited by staff"}, token=admin)[0] == 200
    assert api.delete(path, token=admin)[0] == 200
    assert api.delete(path, token=author)[0] == 404
    assert api.get(url(product))[1]["pagination"]["total"] == 0


def test_a_review_after_a_delivery_is_verified_and_good_reviews_feed_recommendations(api, product):
    buyer = make_user()
    delivered_order(buyer, product)
    body = api.post(url(product), {"rating": 4}, token=token_for(buyer))[1]
    assert body["data"]["isVerifiedPurchase"] is True
    assert body["data"]["status"] == "approved"  # REVIEWS_AUTO_APPROVE_VERIFIED (default true)
    assert api.get(url(product))[1]["summary"]["totalReviews"] == 1
    api.post(url(product), {"rating": 2}, token=token_for(make_user()))
    kinds = sorted(recommendations.load_events().kinds.tolist())
    assert kinds == ["order", "review"]  # the 2-star review is not a signal


@pytest.mark.parametrize("status", ["pending", "confirmed", "shipped", "cancelled"])
def test_an_order_not_delivered_does_not_make_a_verified_purchase(api, product, status):
    buyer = make_user()
    delivered_order(buyer, product, status=status)
    review = api.post(url(product), {"rating": 5}, token=token_for(buyer))[1]["data"]
    assert (review["isVerifiedPurchase"], review["status"]) == (False, "pending")


def test_auto_approval_of_verified_purchases_can_be_turned_off(api, product, settings):
    import dataclasses

    import config

    config.override(dataclasses.replace(config.get(), reviews_auto_approve_verified=False))
    buyer = make_user()
    delivered_order(buyer, product)
    review = api.post(url(product), {"rating": 5}, token=token_for(buyer))[1]["data"]
    assert (review["isVerifiedPurchase"], review["status"]) == (True, "pending")


def test_editing_the_text_of_an_approved_review_sends_it_back_to_moderation(api, product, staff_token):
    author = token_for(make_user())
    review = api.post(url(product), {"rating": 5, "title": "Good"}, token=author)[1]["data"]
    approve(api, review["id"], staff_token)
    assert api.get(url(product))[1]["summary"]["totalReviews"] == 1
    status, body, _ = api.put(f"/api/v1/reviews/{review['id']}", {"body": "Now with a link"}, token=author)
    assert status == 200 and body["data"]["status"] == "pending", body
    listed = api.get(url(product))[1]
    assert listed["data"] == [] and listed["summary"]["totalReviews"] == 0
    mine = api.get("/api/v1/users/me/reviews", token=author)[1]
    assert [(r["id"], r["status"]) for r in mine["data"]] == [(review["id"], "pending")]
    assert mine["pagination"]["total"] == 1


def test_a_verified_buyers_edit_is_approved_again_at_once(api, product):
    buyer = make_user()
    delivered_order(buyer, product)
    token = token_for(buyer)
    review = api.post(url(product), {"rating": 5}, token=token)[1]["data"]
    body = api.put(f"/api/v1/reviews/{review['id']}", {"title": "Still great"}, token=token)[1]
    assert body["data"]["status"] == "approved"


def test_the_product_detail_summary_counts_approved_reviews_only(api, product, staff_token):
    first = api.post(url(product), {"rating": 5}, token=token_for(make_user()))[1]["data"]
    api.post(url(product), {"rating": 1}, token=token_for(make_user()))
    assert api.get(f"/api/v1/products/{product.id}")[1]["data"]["reviews"]["totalReviews"] == 0
    approve(api, first["id"], staff_token)
    summary = api.get(f"/api/v1/products/{product.id}")[1]["data"]["reviews"]
    assert (summary["totalReviews"], summary["averageRating"]) == (1, 5.0)
