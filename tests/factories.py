"""Test factories per domain, and a small JSON client for the Flask test client."""

from __future__ import annotations

import time

from models.catalog import Product, Variant
from models.db import new_id
from models.users import User
from services import auth, inventory


class ApiClient:
    """Wraps Flask's test client: every call returns `(status, json_body, headers)`."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, json=None, token=None, headers=None, **kwargs):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        response = self.client.open(path, method=method, json=json, headers=hdrs, **kwargs)
        body = response.get_json(silent=True)
        return response.status_code, body, response.headers

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def wait_job(self, job_id, token=None, timeout=20.0):
        """Poll a job until it ends; returns the job dict."""
        deadline = time.monotonic() + timeout
        while True:
            status, body, _ = self.get(f"/api/v1/jobs/{job_id}", token=token)
            assert status == 200, body
            job = body["data"]
            if job["state"] in ("succeeded", "failed", "cancelled"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['state']} after {timeout}s: {job}")
            time.sleep(0.05)


def make_user(email=None, password="correct-horse-9", role="customer") -> User:
    return auth.register_user(email or f"{new_id('u').lower()}@example.com", password, "Test", "User", role=role)


def token_for(user: User) -> str:
    return auth.issue_access_token(user)


def make_product(name="Vitamin C Serum", price=2950, stock=10, variants=None, currency="USD", status="active",
                 **fields) -> Product:
    """A product with variants `[{"name", "sku", "price", "stock"}]` (default: one variant)."""
    handle = fields.pop("handle", None) or f"{name.lower().replace(' ', '-')}-{new_id('h')[-8:].lower()}"
    variants = variants or [{"name": "Default", "sku": None, "price": price, "stock": stock}]
    product = Product.create(name=name, handle=handle, currency=currency, status=status,
                             price=min(v["price"] for v in variants), **fields)
    for position, spec in enumerate(variants, start=1):
        variant = Variant.create(product=product, name=spec.get("name", "Default"),
                                 sku=spec.get("sku") or f"SKU-{new_id('s')[-10:]}", price=spec["price"],
                                 compare_at_price=spec.get("compare_at_price"), position=position)
        inventory.set_stock(variant.id, spec.get("stock", stock))
    return product


def first_variant(product: Product) -> Variant:
    return Variant.select().where(Variant.product == product).order_by(Variant.position).first()
