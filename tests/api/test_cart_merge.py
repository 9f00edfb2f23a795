"""A guest cart joins the customer's cart at login or registration (`cartId`,
services.orders.cart_merge): taken over, or its lines added (capped by stock and the line
maximum), the guest cart then `merged`; anything that is not a guest's live cart is ignored."""

from __future__ import annotations

from models.carts import Cart, CartItem
from tests.factories import assert_error, fill_cart, first_variant, make_product, make_user, token_for

PASSWORD = "correct-horse-9"


def add(api, cart_id, product, quantity, token=None):
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id,
                                                                 "variantId": first_variant(product).id,
                                                                 "quantity": quantity}, token=token)
    assert status == 200, body


def login(api, user, **extra):
    return api.post("/api/v1/auth/login", {"email": user.email, "password": PASSWORD, **extra})


def test_registering_with_a_guest_cart_takes_it_over(api, db):
    product = make_product(stock=5)
    guest = fill_cart(api, product, quantity=2)
    status, body, _ = api.post("/api/v1/auth/register", {"email": "new@example.com", "password": PASSWORD,
                                                         "cartId": guest})
    assert status == 201, body
    assert body["data"]["cart"] == {"cartId": guest, "merged": "claimed", "capped": []}
    mine = api.get("/api/v1/cart", token=body["data"]["accessToken"])[1]["data"]
    assert mine["id"] == guest and mine["customerId"] == body["data"]["user"]["id"] and mine["itemCount"] == 2


def test_login_adds_the_guest_lines_to_my_cart_capped_by_stock(api, db):
    user = make_user()
    token = token_for(user)
    serum, cream = make_product(name="Serum", stock=10), make_product(name="Cream", stock=2)
    mine = api.get("/api/v1/cart", token=token)[1]["data"]["id"]
    add(api, mine, serum, 2, token=token)
    guest = fill_cart(api, serum, quantity=1)
    add(api, guest, cream, 2)
    CartItem.update(quantity=3).where(CartItem.cart == guest, CartItem.variant == first_variant(cream).id).execute()
    status, body, _ = login(api, user, cartId=guest)
    assert status == 200, body
    assert body["data"]["cart"] == {"cartId": mine, "merged": "lines", "capped": [
        {"variantId": first_variant(cream).id, "requested": 3, "quantity": 2}]}
    lines = {i.variant_id: i.quantity for i in CartItem.select().where(CartItem.cart == mine)}
    assert lines == {first_variant(serum).id: 3, first_variant(cream).id: 2}
    assert Cart.get_by_id(guest).status == "merged"
    assert_error(*api.post(f"/api/v1/cart/{guest}/items", {"productId": serum.id, "quantity": 1})[:2], 409,
                 reason="cart_not_active")


def test_a_cart_that_is_not_a_live_guest_cart_is_ignored(api, db):
    user, other = make_user(), make_user()
    product = make_product(stock=5)
    theirs = fill_cart(api, product, token=token_for(other))
    for cart_id in (theirs, "cart_unknown"):
        status, body, _ = login(api, user, cartId=cart_id)
        assert status == 200 and body["data"]["cart"] is None, body
    assert Cart.get_by_id(theirs).customer_id == other.id and Cart.get_by_id(theirs).status == "active"
    assert CartItem.select().where(CartItem.cart == theirs).count() == 1


def test_a_bad_cart_id_is_422(api, db):
    user = make_user()
    status, body, _ = login(api, user, cartId="x" * 41)
    assert status == 422 and body["error"]["details"][0]["field"] == "cartId", body


def test_an_mfa_account_joins_the_guest_cart_when_it_completes_the_sign_in(api, db):
    from tests.api.test_mfa import code_at, enrol

    user = make_user()
    setup, _, _ = enrol(api, user)
    guest = fill_cart(api, make_product(stock=5))
    challenge = login(api, user, cartId=guest)[1]["data"]
    assert challenge["mfaRequired"] is True and Cart.get_by_id(guest).customer_id is None
    status, body, _ = api.post("/api/v1/auth/mfa/verify", {"challengeToken": challenge["challengeToken"],
                                                           "code": code_at(setup["secret"], 30), "cartId": guest})
    assert status == 200 and body["data"]["cart"]["cartId"] == guest, body
    assert Cart.get_by_id(guest).customer_id == user.id
