"""The customer and admin steps the e2e tests (and the benchmark) take over HTTP."""

from __future__ import annotations

import secrets
import time

from tests.e2e.stack import Http

ADDRESS = {
    "firstName": "Ahmed", "lastName": "Khalil", "email": "ahmed@example.com", "phone": "+962791234567",
    "country": "JO", "city": "Amman", "street": "Queen Rania Street", "postalCode": "11118",
}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def register_customer(http: Http) -> str:
    """Register a new customer; returns the access token."""
    status, body, _ = http.post("/api/v1/auth/register", {
        "email": f"{unique('buyer')}@example.com", "password": "correct-horse-battery-9",
        "firstName": "Ahmed", "lastName": "Khalil"})
    assert status == 201 or status == 200, (status, body)
    return body["data"]["accessToken"]


def login(http: Http, email: str, password: str) -> str:
    status, body, _ = http.post("/api/v1/auth/login", {"email": email, "password": password})
    assert status == 200, (status, body)
    return body["data"]["accessToken"]


def create_product(http: Http, admin_token: str, *, price: int = 2950, stock: int = 100,
                   name: str | None = None, category: str = "serums") -> tuple[str, str]:
    """Create an active product with one variant (seed 004 shape); returns (productId, variantId)."""
    name = name or unique("Vitamin C Serum")
    status, body, _ = http.post("/api/v1/products", {
        "name": name, "description": "Premium vitamin C serum for glowing skin", "currency": "USD",
        "category": category, "tags": ["vitamin-c"], "status": "active",
        "variants": [{"name": "30ml", "sku": unique("SV-C-30").upper(), "price": price, "inventoryCount": stock}],
    }, token=admin_token)
    assert status == 201 or status == 200, (status, body)
    product = body["data"]
    return product["id"], product["variants"][0]["id"]


def fill_cart(http: Http, token: str | None, product_id: str, variant_id: str, quantity: int = 1) -> dict:
    """Create a USD cart and add one line; returns the cart."""
    status, body, _ = http.post("/api/v1/cart", {"currency": "USD"}, token=token)
    assert status in (200, 201), (status, body)
    cart_id = body["data"]["id"]
    status, body, _ = http.post(f"/api/v1/cart/{cart_id}/items",
                                {"productId": product_id, "variantId": variant_id, "quantity": quantity},
                                token=token)
    assert status in (200, 201), (status, body)
    assert body["data"]["itemCount"] == quantity, body
    return body["data"]


def order_body(cart_id: str, payment_method: str) -> dict:
    return {"cartId": cart_id, "shippingAddress": ADDRESS, "billingAddress": "same",
            "shippingMethod": "standard", "paymentMethod": payment_method}


def submit_checkout(http: Http, token: str | None, cart_id: str, payment_method: str, headers: dict | None = None):
    """POST /api/v1/orders; asserts the 202 + Location answer and returns (job, headers)."""
    status, body, hdrs = http.post("/api/v1/orders", order_body(cart_id, payment_method), token=token,
                                   headers=headers)
    assert status == 202, (status, body)
    job = body["data"]
    assert job["type"] == "checkout", job
    assert hdrs["Location"].endswith(f"/api/v1/jobs/{job['id']}"), dict(hdrs)
    return job, hdrs


def checkout(http: Http, token: str | None, cart_id: str, payment_method: str, timeout: float = 30.0) -> dict:
    """Check out and poll the job to `succeeded`; returns the job's result."""
    job, _ = submit_checkout(http, token, cart_id, payment_method)
    done = http.wait_job(job["id"], token=token, timeout=timeout)
    assert done["state"] == "succeeded", done
    result = done["result"]
    assert result["orderId"] and result["orderNumber"], result
    return result


def get_order(http: Http, token: str | None, order_id: str) -> dict:
    status, body, _ = http.get(f"/api/v1/orders/{order_id}", token=token)
    assert status == 200, (status, body)
    return body["data"]


def wait_order(http: Http, token: str | None, order_id: str, predicate, timeout: float = 30.0) -> dict:
    """Poll the order until `predicate(order)`; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        order = get_order(http, token, order_id)
        if predicate(order):
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"order {order_id} did not reach the expected state in {timeout}s: "
                                 f"status={order['status']} paymentStatus={order['paymentStatus']}")
        time.sleep(0.2)
