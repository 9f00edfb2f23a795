"""The demo of `make run`: a shopper in Lisbon, where the demo stores are, can check out."""

from models.catalog import Product
from services import demo
from tests.factories import ADDRESS, fill_cart

LISBON = dict(ADDRESS, country="PT", city="Lisboa", street="Rua Augusta 20", postalCode="1100-053",
              phone="+351912345678")


def test_a_demo_store_product_ships_to_lisbon(api):
    demo.seed_demo_if_empty()
    product = Product.select().where(Product.store.is_null(False), Product.status == "active").first()
    assert product is not None
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", {"cartId": cart_id, "shippingAddress": LISBON,
                                                  "billingAddress": "same", "shippingMethod": "standard",
                                                  "paymentMethod": "cash_on_delivery"})
    assert status == 202, body
    job = api.wait_job(body["data"]["id"])
    assert job["state"] == "succeeded", job
    status, body, _ = api.get(f"/api/v1/orders/{job['result']['orderId']}")
    assert body["data"]["shippingAddress"]["country"] == "PT"
