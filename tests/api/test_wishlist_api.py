"""Wishlist: items, atomic move to cart, bulk jobs through a real worker, share links, wishlist events."""

import pytest

from models.carts import Cart, CartItem
from models.jobs import Job
from models.wishlists import WishlistItem
from services import catalog, customers
from services.catalog import inventory
from tests.factories import first_variant, make_product, make_user, token_for

W = "/api/v1/wishlist"


@pytest.fixture()
def alice(db):
    user = make_user()
    return user, token_for(user)


def add(api, token, product):
    status, body, _ = api.post(W, {"productId": product.id}, token=token)
    assert status in (200, 201), body
    return body["data"]


def wishlist_ids(api, token):
    status, body, _ = api.get(f"{W}?limit=100", token=token)
    assert status == 200
    return [i["productId"] for i in body["data"]]


def test_add_list_and_remove_items_with_product_data(api, alice):
    user, token = alice
    rose, tulip = make_product(name="Rose", price=1200), make_product(name="Tulip", price=800, stock=0)
    item = add(api, token, rose)
    assert item["product"]["name"] == "Rose" and item["priceAtAdd"] == 1200 and item["inStock"] is True
    status, body, _ = api.post(W, {"productId": rose.id}, token=token)
    assert status == 200 and body["data"]["id"] == item["id"]  # adding twice keeps one item
    add(api, token, tulip)
    status, body, _ = api.get(W, token=token)
    assert [i["product"]["name"] for i in body["data"]] == ["Tulip", "Rose"]
    assert body["data"][0]["inStock"] is False and body["pagination"]["total"] == 2
    assert api.delete(f"{W}/items/{item['id']}", token=token)[0] == 200
    assert wishlist_ids(api, token) == [tulip.id]
    assert api.delete(f"{W}/items/{item['id']}", token=token)[0] == 404


def test_wishlist_needs_a_customer_and_rejects_bad_input(api, alice):
    _, token = alice
    assert api.get(W)[0] == 401
    assert api.post(W, {"productId": "prod_x"})[0] == 401
    status, body, _ = api.post(W, {"productId": "prod_missing"}, token=token)
    assert status == 404 and body["error"]["code"] == "RESOURCE_NOT_FOUND"
    archived = make_product(status="archived")
    assert api.post(W, {"productId": archived.id}, token=token)[0] == 404
    for bad in ({}, {"productId": ""}, {"productId": 5}, {"productId": "p", "extra": 1}):
        assert api.post(W, bad, token=token)[0] == 422, bad
    assert api.get(f"{W}?limit=1000", token=token)[0] == 422


def test_another_users_items_answer_404(api, alice):
    _, token = alice
    bob_token = token_for(make_user())
    item = add(api, token, make_product())
    assert api.delete(f"{W}/items/{item['id']}", token=bob_token)[0] == 404
    assert api.post(f"{W}/items/{item['id']}/move-to-cart", {}, token=bob_token)[0] == 404
    assert len(wishlist_ids(api, token)) == 1


def test_move_to_cart_moves_the_item_atomically(api, alice):
    user, token = alice
    product = make_product(price=2500, stock=3)
    item = add(api, token, product)
    status, body, _ = api.post(f"{W}/items/{item['id']}/move-to-cart", {"quantity": 2}, token=token)
    assert status == 200, body
    cart = body["data"]
    assert cart["customerId"] == user.id and cart["items"][0]["productId"] == product.id
    assert cart["items"][0]["quantity"] == 2
    assert wishlist_ids(api, token) == []


def test_a_failed_move_to_cart_changes_nothing(api, alice):
    user, token = alice
    product = make_product(stock=1)
    item = add(api, token, product)
    status, body, _ = api.post(f"{W}/items/{item['id']}/move-to-cart", {"quantity": 2}, token=token)
    assert status == 409 and body["error"]["code"] == "INVENTORY_ERROR"
    assert wishlist_ids(api, token) == [product.id]
    assert CartItem.select().count() == 0 and Cart.select().count() == 0  # not even an empty cart
    # someone else's cart: 404, nothing moved
    status, other_cart, _ = api.post("/api/v1/cart", {}, token=token_for(make_user()))
    status, body, _ = api.post(f"{W}/items/{item['id']}/move-to-cart", {"cartId": other_cart["data"]["id"]},
                               token=token)
    assert status == 404
    assert wishlist_ids(api, token) == [product.id]
    for bad in ({"quantity": 0}, {"quantity": "1"}, {"cartId": 3}, {"nope": 1}):
        assert api.post(f"{W}/items/{item['id']}/move-to-cart", bad, token=token)[0] == 422, bad


def test_bulk_move_of_200_items_reports_each_outcome_and_reaches_100_percent(api, alice):
    user, token = alice
    products = [make_product(name=f"Bouquet {i}", stock=0 if i % 10 == 0 else 5) for i in range(200)]
    for p in products:
        customers.add_to_wishlist(user, p.id)
    ids = [p.id for p in products]
    status, body, headers = api.post(f"{W}/bulk/operations",
                                     {"action": "move-to-cart", "productIds": ids + ["prod_unknown"],
                                      "options": {"quantity": 1}}, token=token)
    assert status == 202, body
    assert headers["Location"] == f"/api/v1/jobs/{body['data']['id']}"
    job = api.wait_job(body["data"]["id"], token=token, timeout=90)
    assert job["state"] == "succeeded", job
    assert job["progress"] == {"completed": 201, "total": 201, "percentage": 100, "message": job["progress"]["message"]}
    result = job["result"]
    sold_out = {p.id for i, p in enumerate(products) if i % 10 == 0}
    assert result["successful"] == [pid for pid in ids if pid not in sold_out]
    assert result["failed"] == [{"id": pid, "reason": "out_of_stock"} for pid in ids if pid in sold_out] + \
        [{"id": "prod_unknown", "reason": "not_in_wishlist"}]
    assert result["progress"]["percentage"] == 100 and result["operationId"] == job["id"]
    assert set(wishlist_ids(api, token)) == sold_out  # failed moves stay on the wishlist
    cart = Cart.get(Cart.customer == user.id)
    assert CartItem.select().where(CartItem.cart == cart).count() == 180
    # running the job's handler again moves nothing twice and reports the same outcome
    again = customers.run_wishlist_bulk_job(Job.get_by_id(job["id"]), _Ctx())
    assert again == result
    assert CartItem.select().where(CartItem.cart == cart, CartItem.quantity > 1).count() == 0


class _Ctx:
    def progress(self, *args):
        pass


def test_bulk_add_and_remove_endpoints(api, alice):
    user, token = alice
    a, b = make_product(), make_product()
    archived = make_product(status="archived")
    status, body, _ = api.post(f"{W}/bulk/add", {"productIds": [a.id, b.id, a.id, archived.id]}, token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200, body
    assert body["data"]["result"]["successful"] == [a.id, b.id]
    assert body["data"]["result"]["failed"] == [{"id": archived.id, "reason": "product_not_found"}]
    status, body, _ = api.delete(f"{W}/bulk/remove", json={"productIds": [a.id, "prod_nope"]}, token=token,
                                 headers={"Prefer": "wait=10"})
    assert status == 200, body
    assert body["data"]["result"]["successful"] == [a.id]
    assert body["data"]["result"]["failed"] == [{"id": "prod_nope", "reason": "not_in_wishlist"}]
    assert wishlist_ids(api, token) == [b.id]
    own_cart = api.post("/api/v1/cart", {}, token=token)[1]["data"]["id"]
    status, body, _ = api.post(f"{W}/bulk/move-to-cart", {"productIds": [b.id], "options": {"cartId": own_cart,
                                                                                          "quantity": 2}},
                               token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["result"]["successful"] == [b.id]
    assert [(i["productId"], i["quantity"]) for i in api.get(f"/api/v1/cart/{own_cart}", token=token)[1]["data"]
            ["items"]] == [(b.id, 2)]


def test_bulk_requests_are_checked_before_a_job_starts(api, alice):
    _, token = alice
    url = f"{W}/bulk/operations"
    for bad in ({"action": "explode", "productIds": ["prod_a"]}, {"action": "add", "productIds": []},
                {"action": "add", "productIds": ["p"] * 501}, {"action": "add"},
                {"action": "add", "productIds": ["p"], "options": {"size": "L"}},
                {"action": "move-to-cart", "productIds": ["p"], "options": {"quantity": 0}},
                {"action": "move-to-cart", "productIds": ["p"], "options": {"quantity": 100}},
                {"action": "add", "productIds": [None]}):
        status, body, _ = api.post(url, bad, token=token)
        assert status == 422, (bad, body)
    other_cart = api.post("/api/v1/cart", {}, token=token_for(make_user()))[1]["data"]["id"]
    status, _, _ = api.post(url, {"action": "move-to-cart", "productIds": ["p"], "options": {"cartId": other_cart}},
                            token=token)
    assert status == 404
    assert api.post(url, {"action": "add", "productIds": ["p"]})[0] == 401
    assert Job.select().where(Job.type == "wishlist_bulk").count() == 0


def test_share_links_can_be_revoked(api, alice):
    user, token = alice
    product = make_product(name="Peony")
    add(api, token, product)
    assert api.get(f"{W}/share", token=token)[0] == 404
    status, body, _ = api.post(f"{W}/share", token=token)
    assert status == 201
    share = body["data"]
    assert len(share["token"]) >= 32 and share["url"] == f"{W}/shared/{share['token']}"
    assert api.post(f"{W}/share", token=token)[1]["data"]["token"] == share["token"]
    status, body, _ = api.get(share["url"])  # anyone with the link, no sign-in
    assert status == 200
    assert body["data"]["owner"] == {"firstName": user.first_name}
    assert [i["product"]["name"] for i in body["data"]["items"]] == ["Peony"]
    assert "priceAtAdd" not in body["data"]["items"][0]
    assert api.delete(f"{W}/share", token=token)[0] == 200
    assert api.get(share["url"])[0] == 404
    assert api.delete(f"{W}/share", token=token)[0] == 404
    fresh = api.post(f"{W}/share", token=token)[1]["data"]
    assert fresh["token"] != share["token"] and api.get(fresh["url"])[0] == 200
    assert api.get(f"{W}/shared/not-a-token")[0] == 404
    assert api.post(f"{W}/share")[0] == 401


def test_users_wishlisting_lists_who_saved_a_product(db):
    product = make_product()
    a, b = make_user(), make_user()
    customers.add_to_wishlist(a, product.id)
    customers.add_to_wishlist(b, product.id)
    assert customers.users_wishlisting(product.id) == sorted([a.id, b.id])
    assert customers.users_wishlisting(make_product().id) == []


def _events(kind):
    return [j.payload for j in Job.select().where(Job.type == "event_fanout") if j.payload["event"] == kind]


def test_a_real_price_drop_on_a_wishlisted_product_emits_one_event(db):
    product = make_product(price=3000)
    variant = first_variant(product)
    spec = {"id": variant.id, "price": 3000}
    catalog.update_product(product.id, {"variants": [dict(spec, price=2500)]})
    assert _events("wishlist.price_drop") == []  # nobody wishlists it yet
    customers.add_to_wishlist(make_user(), product.id)
    catalog.update_product(product.id, {"variants": [dict(spec, price=2500)]})  # same price
    catalog.update_product(product.id, {"variants": [dict(spec, price=2600)]})  # a rise
    assert _events("wishlist.price_drop") == []
    catalog.update_product(product.id, {"variants": [dict(spec, price=1999)]})
    (event,) = _events("wishlist.price_drop")
    assert event["subjectId"] == product.id
    assert event["data"] == {"productId": product.id, "oldPrice": 2600, "newPrice": 1999, "currency": "USD"}


def test_back_in_stock_is_emitted_only_when_a_wishlisted_product_goes_from_zero(db):
    product = make_product(stock=0)
    variant = first_variant(product)
    inventory.set_stock(variant.id, 4)
    assert _events("wishlist.back_in_stock") == []  # not wishlisted
    inventory.set_stock(variant.id, 0)
    customers.add_to_wishlist(make_user(), product.id)
    inventory.set_stock(variant.id, 0)
    assert _events("wishlist.back_in_stock") == []
    catalog.set_product_stock(product.id, adjustment=3)
    catalog.set_product_stock(product.id, adjustment=2)  # 3 -> 5 is not "back"
    (event,) = _events("wishlist.back_in_stock")
    assert event["subjectId"] == product.id and event["data"] == {"productId": product.id, "quantity": 3}
    assert WishlistItem.select().count() == 1
