"""Response options of catalog reads: `?fields=` selection (web.response_fields), gzip/brotli
compression (web.compression: JSON only, above a minimum size, never the SSE streams) and
ETag / 304 with Cache-Control (web.cache), cached or not."""

from __future__ import annotations

import gzip
import json
import re
import threading

import brotli
import pytest

from tests.factories import assert_error, make_product, make_user, token_for


def products(n=6):
    return [make_product(name=f"Serum {i}", price=1000 + i, stock=3, description="<p>" + "glow " * 40 + "</p>",
                         variants=[{"name": "30 ml", "price": 1000 + i, "stock": 3},
                                   {"name": "50 ml", "price": 1500 + i, "stock": 0}])
            for i in range(n)]


# --------------------------------------------------------------------------- fields

def test_fields_selects_top_level_and_nested_fields_and_keeps_ids(api, db):
    product = products(1)[0]
    status, body, _ = api.get("/api/v1/products?fields=name,variants.price")
    assert status == 200, body
    [item] = body["data"]
    assert list(item) == ["id", "name", "variants"] and item["id"] == product.id
    assert [set(v) for v in item["variants"]] == [{"id", "price"}] * 2
    status, body, _ = api.get(f"/api/v1/products/{product.id}?fields=reviews.totalReviews,variants.options.value")
    assert status == 200, body
    assert body["data"]["reviews"] == {"totalReviews": 0}
    assert body["data"]["variants"][0]["options"] == []
    status, body, _ = api.get(f"/api/v1/products/{product.id}?fields=variants.price,variants")
    assert len(body["data"]["variants"][0]) > 2  # the whole field wins over its parts
    assert api.get(f"/api/v1/products/{product.id}?fields=id")[1]["data"] == {"id": product.id}


@pytest.mark.parametrize("path", ["/api/v1/products?fields=name,secret", "/api/v1/products?fields=reviews",
                                  "/api/v1/products?fields=variants.secret", "/api/v1/products?fields=name,",
                                  "/api/v1/products/{id}?fields=variants..price"])
def test_unknown_fields_are_a_422_in_the_envelope(api, db, path):
    product = products(1)[0]
    status, body, _ = api.get(path.format(id=product.id))
    assert_error(status, body, 422, "unknown_fields")
    assert body["error"]["details"][0]["field"] == "fields"


def test_fields_is_a_documented_query_parameter_with_nested_names(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, detail in (("/api/v1/products", False), ("/api/v1/products/{product_id}", True)):
        [parameter] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "fields"]
        assert parameter["in"] == "query"
        pattern = parameter["schema"]["pattern"]
        assert re.fullmatch(pattern, "name,variants.price,images.url")
        assert not re.fullmatch(pattern, "variantsXprice")
        assert bool(re.fullmatch(pattern, "reviews.averageRating")) is detail  # list items have no reviews


# --------------------------------------------------------------------------- compression

@pytest.mark.parametrize("encoding, decode", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_large_json_answers_are_compressed_and_decode_to_the_same_json(client, db, encoding, decode):
    products()
    plain = client.get("/api/v1/products")
    assert "Content-Encoding" not in plain.headers and len(plain.data) > 1024
    packed = client.get("/api/v1/products", headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    assert json.loads(decode(packed.data)) == plain.get_json()


def test_brotli_is_preferred_on_a_tie_and_q_values_are_honoured(client, db):
    products()
    assert client.get("/api/v1/products", headers={"Accept-Encoding": "gzip, br"}).headers["Content-Encoding"] == "br"
    assert client.get("/api/v1/products",
                      headers={"Accept-Encoding": "br;q=0.1, gzip"}).headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get("/api/v1/products", headers={"Accept-Encoding": "identity"}).headers


def test_small_answers_and_errors_are_not_compressed(client, db):
    product = products(1)[0]
    small = client.get(f"/api/v1/products/{product.id}?fields=name", headers={"Accept-Encoding": "gzip, br"})
    assert small.status_code == 200 and len(small.data) < 1024 and "Content-Encoding" not in small.headers
    missing = client.get("/api/v1/products/prod_missing", headers={"Accept-Encoding": "gzip, br"})
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
    assert missing.get_json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_event_streams_are_neither_compressed_nor_buffered(app, db):
    app.config.update(SSE_KEEPALIVE_SECONDS=0.2, SSE_MAX_SECONDS=30)
    product = products(1)[0]
    response = app.test_client().get(f"/api/v1/products/stock-updates?productIds={product.id}",
                                     headers={"Accept-Encoding": "gzip, br"}, buffered=False)
    try:
        assert response.status_code == 200 and response.mimetype == "text/event-stream"
        assert "Content-Encoding" not in response.headers
        first = {}
        reader = threading.Thread(target=lambda: first.setdefault("chunk", next(iter(response.response))), daemon=True)
        reader.start()
        reader.join(5)  # the stream lasts 30 s: a buffered (compressed) body would not arrive in time
        chunk = first.get("chunk")
        assert chunk is not None, "no event within 5 s: the stream is buffered"
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        assert text.startswith(("retry:", "event:", "id:", ":")), text  # plain SSE text
    finally:
        response.close()


# --------------------------------------------------------------------------- ETag and 304

def test_catalog_reads_carry_a_strong_etag_and_answer_304(api, db):
    product = products(1)[0]
    for path in ("/api/v1/products", f"/api/v1/products/{product.id}"):
        status, _, headers = api.get(path)
        tag = headers["ETag"]
        assert status == 200 and re.fullmatch(r'"[0-9a-f]{32}"', tag)
        assert headers["Cache-Control"] == "public, max-age=5" and "Authorization" in headers["Vary"]
        assert api.get(path)[2]["ETag"] == tag  # the same data, the same tag
        response = api.client.get(path, headers={"If-None-Match": tag})
        assert response.status_code == 304 and response.data == b"" and response.headers["ETag"] == tag
        assert api.client.get(path, headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304
        assert api.client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_write_changes_the_etag(api, db):
    product = products(1)[0]
    path = f"/api/v1/products/{product.id}"
    tag = api.get(path)[2]["ETag"]
    admin = token_for(make_user(role="admin"))
    assert api.put(path, {"name": "Renamed"}, token=admin)[0] == 200
    response = api.client.get(path, headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.headers["ETag"] != tag
    assert response.get_json()["data"]["name"] == "Renamed"


def test_cached_answers_have_the_same_etag_as_fresh_ones(api, cached):
    product = products(1)[0]
    path = f"/api/v1/products/{product.id}"
    status, _, fresh = api.get(path)
    status, _, hit = api.get(path)
    assert (fresh["X-Cache"], hit["X-Cache"]) == ("miss", "hit") and fresh["ETag"] == hit["ETag"]
    response = api.client.get(path, headers={"If-None-Match": hit["ETag"]})
    assert response.status_code == 304 and response.data == b"" and response.headers["X-Cache"] == "hit"


def test_authenticated_reads_are_private_but_revalidate(api, db):
    products(1)
    token = token_for(make_user(role="staff"))
    status, _, headers = api.get("/api/v1/products", token=token)
    assert status == 200 and headers["Cache-Control"] == "private, no-cache"
    status, _, _ = api.get("/api/v1/products", token=token, headers={"If-None-Match": headers["ETag"]})
    assert status == 304


def test_compressed_answers_have_their_own_strong_etag_and_revalidate(client, db):
    products()
    plain = client.get("/api/v1/products").headers["ETag"]
    packed = client.get("/api/v1/products", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["ETag"] == plain[:-1] + ':gzip"'
    again = client.get("/api/v1/products", headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == packed.headers["ETag"]
    assert client.get("/api/v1/products", headers={"If-None-Match": packed.headers["ETag"]}).status_code == 304
