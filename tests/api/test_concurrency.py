"""Concurrency: parallel checkouts of the last units (DESIGN.md section 8)."""

from concurrent.futures import ThreadPoolExecutor

from models.carts import Cart
from models.catalog import InventoryLevel
from models.orders import Order
from tests.factories import ApiClient, checkout_body, fill_cart, first_variant, make_product


def test_thirty_parallel_checkouts_of_ten_units_give_exactly_ten_orders(app, api):
    product = make_product(stock=10)
    carts = [fill_cart(api, product) for _ in range(30)]

    def checkout(cart_id):
        client = ApiClient(app.test_client())
        status, body, _ = client.post("/api/v1/orders", checkout_body(cart_id))
        if status != 202:
            return status, None
        return status, client.wait_job(body["data"]["id"], timeout=60)

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(checkout, carts))

    succeeded = [job for _, job in outcomes if job and job["state"] == "succeeded"]
    refused = [(status, job) for status, job in outcomes if job is None or job["state"] != "succeeded"]
    assert len(succeeded) == 10, outcomes
    assert all(status == 409 or job["error"]["code"] == "INVENTORY_ERROR" for status, job in refused), refused
    assert Order.select().count() == 10
    assert len({job["result"]["orderNumber"] for job in succeeded}) == 10
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 0
    assert Cart.select().where(Cart.status == "converted").count() == 10
