"""Locust users for `make bench` (run headless by bench/run.py; loopback only).

- `BrowseUser`: product list pages and product details.
- `CheckoutUser`: a guest creates a cart, adds an item and checks out with cash
  on delivery, asking `Prefer: wait=10`; the time from the POST to the job's
  `succeeded` state is reported as the custom request `checkout end-to-end`.

`BENCH_CATALOG` names a JSON file `{"products": [{"id", "variantId"}]}`;
`BENCH_MAX_REQUESTS` bounds the total number of requests of the run.
"""

from __future__ import annotations

import json
import os
import random
import time

from locust import FastHttpUser, constant, events, task

CATALOG = json.loads(open(os.environ["BENCH_CATALOG"]).read())["products"]
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "300000"))
ADDRESS = {"firstName": "Load", "lastName": "Test", "email": "load@example.com", "phone": "+962791234567",
           "country": "JO", "city": "Amman", "street": "Queen Rania Street", "postalCode": "11118"}
_count = {"n": 0}


@events.request.add_listener
def _bound_requests(**kwargs):
    _count["n"] += 1
    if _count["n"] == MAX_REQUESTS:
        runner = getattr(_bound_requests, "runner", None)
        if runner is not None:
            runner.quit()


@events.init.add_listener
def _remember_runner(environment, **kwargs):
    _bound_requests.runner = environment.runner


class BrowseUser(FastHttpUser):
    wait_time = constant(0)

    @task(3)
    def product_list(self):
        page = random.randint(1, 3)
        self.client.get(f"/api/v1/products?page={page}&limit=20", name="product list")

    @task(2)
    def product_detail(self):
        product = random.choice(CATALOG)
        self.client.get(f"/api/v1/products/{product['id']}", name="product detail")


class CheckoutUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def buy(self):
        product = random.choice(CATALOG)
        with self.client.post("/api/v1/cart", json={"currency": "USD"}, name="cart create",
                              catch_response=True) as response:
            if response.status_code != 201 and response.status_code != 200:
                response.failure(f"cart create: HTTP {response.status_code}")
                return
            cart_id = response.json()["data"]["id"]
        with self.client.post(f"/api/v1/cart/{cart_id}/items", name="cart add",
                              json={"productId": product["id"], "variantId": product["variantId"], "quantity": 1},
                              catch_response=True) as response:
            if response.status_code not in (200, 201):
                response.failure(f"cart add: HTTP {response.status_code}")
                return
        body = {"cartId": cart_id, "shippingAddress": ADDRESS, "billingAddress": "same",
                "shippingMethod": "standard", "paymentMethod": "cash_on_delivery"}
        started = time.perf_counter()
        with self.client.post("/api/v1/orders", json=body, headers={"Prefer": "wait=10"}, name="checkout POST",
                              catch_response=True) as response:
            if response.status_code not in (200, 202):
                response.failure(f"checkout: HTTP {response.status_code}")
                return
            job = response.json()["data"]
        while job["state"] not in ("succeeded", "failed", "cancelled"):
            if time.perf_counter() - started > 30:
                break
            time.sleep(0.02)
            with self.client.get(f"/api/v1/jobs/{job['id']}", name="job poll", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"job poll: HTTP {response.status_code}")
                    return
                job = response.json()["data"]
        elapsed_ms = (time.perf_counter() - started) * 1000
        exception = None if job["state"] == "succeeded" else RuntimeError(f"checkout job {job['state']}")
        self.environment.events.request.fire(request_type="E2E", name="checkout end-to-end",
                                             response_time=elapsed_ms, response_length=0, exception=exception,
                                             context={})
