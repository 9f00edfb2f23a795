"""The bench's data, created through the API of a running stack (as the e2e tests do).

- `products`: active products with one variant each and `STOCK` units, so checkouts never
  run out (`[{"id", "variantId"}]`).
- `customers`: registered customers, each logged in once (`[{"email", "token"}]`); the
  access tokens outlive a bench run (`JWT_ACCESS_TTL_SECONDS`, 900 s by default).
- an admin (`flask users create-admin`, as an operator would) and its token, for probes.

`warm_up` then runs a few of each operation, so that what every process loads or builds on
first use (gunicorn workers, both core worker processes, the model worker's fraud model)
is not charged to the first scenario.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bench.scenarios import PROMO_CODE  # every checkout_promo order locks this code's row
from tests.e2e import flows
from tests.e2e.stack import Http

ADMIN_EMAIL = "bench-admin@cartwheel.test"
ADMIN_PASSWORD = "copper-kettle-bench-5"
CUSTOMER_PASSWORD = "bench-customer-password-1"
STOCK = 10_000_000  # units per variant
SEED_THREADS = 4
WARM_UP_ROUNDS = 4  # of each operation, SEED_THREADS at a time


def seed(stack, products: int, customers: int) -> dict:
    """Create the data on `stack` (a started ProductionStack). Returns
    `{"products": [...], "customers": [...], "adminToken"}`."""
    local = threading.local()

    def http() -> Http:
        if not hasattr(local, "http"):
            local.http = Http(stack.base)
        return local.http

    stack.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    admin_token = flows.login(http(), ADMIN_EMAIL, ADMIN_PASSWORD)

    def product(i: int) -> dict:
        product_id, variant_id = flows.create_product(http(), admin_token, price=1000 + 25 * i, stock=STOCK,
                                                      name=f"Bench Product {i:04d}")
        return {"id": product_id, "variantId": variant_id}

    def customer(i: int) -> dict:
        email = f"bench-customer-{i:04d}@example.com"
        status, body, _ = http().post("/api/v1/auth/register", {
            "email": email, "password": CUSTOMER_PASSWORD, "firstName": "Bench", "lastName": f"Customer{i}"})
        if status not in (200, 201):
            raise RuntimeError(f"register {email}: HTTP {status} {body}")
        return {"email": email, "token": flows.login(http(), email, CUSTOMER_PASSWORD)}

    status, body, _ = http().post("/api/v1/promos", {"code": PROMO_CODE, "type": "percentage", "value": 10,
                                                     "maxDiscount": 500}, token=admin_token)
    if status != 201:
        raise RuntimeError(f"promo {PROMO_CODE}: HTTP {status} {body}")
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        catalog = list(pool.map(product, range(products)))
        accounts = list(pool.map(customer, range(customers)))
    return {"products": catalog, "customers": accounts, "adminToken": admin_token}


def warm_up(stack, data: dict, rounds: int = WARM_UP_ROUNDS) -> None:
    """Run `rounds` browse, guest checkout, customer checkout and probe operations on
    `stack` (`data`: `seed`'s answer), a few at a time. Raises AssertionError on a failure."""
    local = threading.local()
    products, customers = data["products"], data["customers"]

    def one(i: int) -> None:
        if not hasattr(local, "http"):
            local.http = Http(stack.base)
        http = local.http
        product = products[i % len(products)]
        assert http.get("/api/v1/products?page=1&limit=20")[0] == 200
        assert http.get(f"/api/v1/products/{product['id']}")[0] == 200
        for token in (None, customers[i % len(customers)]["token"] if customers else None):
            cart = flows.fill_cart(http, token, product["id"], product["variantId"])
            flows.checkout(http, token, cart["id"], "cash_on_delivery")
        status, body, _ = http.post("/api/v1/jobs/probes", token=data["adminToken"])
        assert status == 202, (status, body)
        assert http.wait_job(body["data"]["id"], token=data["adminToken"])["state"] == "succeeded"

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(one, range(rounds)))
