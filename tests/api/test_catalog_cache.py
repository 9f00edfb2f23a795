"""The public catalog read cache: hits for anonymous reads, bypass for staff, cleared by writes
(the `cached` fixture, tests/api/conftest.py, turns it on)."""

from tests.factories import make_product, make_user, token_for


def test_anonymous_reads_are_cached_and_a_write_clears_them(api, cached):
    product = make_product(name="Brie", price=900, stock=5)
    admin = make_user(role="admin")
    assert api.get("/api/v1/products")[2]["X-Cache"] == "miss"
    status, body, headers = api.get("/api/v1/products")
    assert status == 200 and headers["X-Cache"] == "hit" and body["data"][0]["name"] == "Brie"
    assert api.get(f"/api/v1/products/{product.id}")[2]["X-Cache"] == "miss"
    status, _, _ = api.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token_for(admin))
    assert status == 200
    status, body, headers = api.get("/api/v1/products")
    assert headers["X-Cache"] == "miss" and body["data"][0]["name"] == "Comte"


def test_authenticated_reads_bypass_the_cache(api, cached):
    make_product(stock=5)
    token = token_for(make_user())
    api.get("/api/v1/products")
    assert "X-Cache" not in api.get("/api/v1/products", token=token)[2]


def test_errors_are_not_cached(api, cached):
    assert api.get("/api/v1/products/prod_missing")[0] == 404
    assert "X-Cache" not in api.get("/api/v1/products/prod_missing")[2]


def test_pages_of_one_filter_set_share_one_count_until_a_write(api, cached, monkeypatch):
    from models.db import database

    for i in range(3):
        make_product(name=f"Gouda {i}", price=500 + i, stock=5)
    counts = []
    real = database.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT COUNT("):
            counts.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", recording)
    for page in (1, 2, 3):
        status, body, _ = api.get(f"/api/v1/products?limit=1&page={page}")
        assert status == 200 and body["pagination"]["total"] == 3
    assert len(counts) == 1  # pages 2 and 3 reuse page 1's total
    staff = token_for(make_user(role="admin"))
    for _ in range(2):
        assert api.get("/api/v1/products?limit=1&page=2&status=draft", token=staff)[1]["pagination"]["total"] == 0
    assert len(counts) == 3  # staff lists (drafts) are counted exactly, every time
    status, _, _ = api.post("/api/v1/products", {"name": "Edam", "variants": [{"name": "500g", "sku": "EDAM-500", "price": 700, "inventoryCount": 1}]},
                            token=staff)
    assert status == 201
    assert api.get("/api/v1/products?limit=1&page=3")[1]["pagination"]["total"] == 4
