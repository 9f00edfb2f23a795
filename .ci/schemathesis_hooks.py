"""schemathesis hooks of the CI phase (.ci/schemathesis.py). Each one gives generated requests
a value OpenAPI cannot describe, so that the checks judge the API, not the generator; the
README lists them with their reasons.

- `Idempotency-Key`: schemathesis draws keys from a small space and reuses one for different
  bodies, which the API answers 422 `IDEMPOTENCY_KEY_REUSED` by design (the IETF
  Idempotency-Key draft); a well-formed key becomes a fresh one per request (schemathesis's
  own advice for unique fields). Keys of a bad length are left as they are.
- `minPrice` / `maxPrice` of `GET /api/v1/products`, `GET /api/v1/categories/{id}/products`,
  `GET /api/v1/stores/{id}/products` and the two product searches (`/products/search`, `/products/search/advanced`):
  a price range whose minimum exceeds its maximum is 422; OpenAPI cannot relate two parameters,
  so a generated pair is put in order.
- `lat` / `lng` of `GET /api/v1/earn/projects` come together (422 otherwise); OpenAPI cannot
  make two query parameters depend on each other, so a lone one is dropped.
"""

from __future__ import annotations

import uuid

import schemathesis

PRODUCT_LISTS = ("/api/v1/products", "/api/v1/categories/{category_id}/products", "/api/v1/products/search",
                 "/api/v1/products/search/advanced", "/api/v1/stores/{store_id}/products")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers, query = case.headers, case.query  # (mappings, not necessarily dicts)
    key = headers.get("Idempotency-Key") if headers is not None else None
    if isinstance(key, str) and 1 <= len(key) <= 255:
        headers["Idempotency-Key"] = f"st-{uuid.uuid4().hex}"
    if query is not None and case.operation.path in PRODUCT_LISTS:
        low, high = _integer(query.get("minPrice")), _integer(query.get("maxPrice"))
        if low is not None and high is not None and low > high:
            query["minPrice"], query["maxPrice"] = query["maxPrice"], query["minPrice"]
    if query is not None and case.operation.path == "/api/v1/earn/projects" and ("lat" in query) != ("lng" in query):
        query.pop("lat", None)
        query.pop("lng", None)


def _integer(value):
    """An integer query value as generated (an int, or its digits as a string), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None
