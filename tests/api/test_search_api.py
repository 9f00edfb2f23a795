"""The search API: `GET /products/search` (seed 004's list shape), `GET /products/search/advanced`
(filters, sorts, disjunctive facets, fuzzy retry), autocomplete, saved searches (per user,
clearable, 401 for guests) and the popular-search rollup; bad input is a 422 envelope."""

import datetime as dt

import pytest

from models.search import SearchQueryDay
from services import catalog
from tests.factories import assert_error, make_user, place_order, quick_user, token_for
from web.product_search import AdvancedSearchSchema, ProductSearchSchema
from web.search import SearchHistorySchema, SuggestionsEnvelopeSchema

SEARCH = "/api/v1/products/search"
ADVANCED = "/api/v1/products/search/advanced"


def florist(name, price, occasion, flower, colors, stock=5, category="bouquets", **fields):
    return catalog.create_product({"name": name, "kind": "florist", "category": category,
                                   "attributes": {"occasion": occasion, "flowerType": flower, "colors": colors},
                                   "variants": [{"price": price, "inventory_count": stock}], **fields})


@pytest.fixture()
def shop(db):
    return {
        "red": florist("Red Rose Bouquet", 4500, ["birthday", "anniversary"], "rose", ["red"],
                       description="<p>Twelve long-stemmed roses</p>"),
        "white": florist("White Rose Wedding", 15000, ["wedding"], "rose", ["white"], stock=0),
        "lily": florist("Lily Serenity", 6000, ["sympathy"], "lily", ["white"], category="arrangements",
                        tags=["roses-free"]),
        "sun": florist("Sunflower Sunshine", 2000, ["birthday"], "sunflower", ["yellow"]),
    }


def names(body):
    return [p["name"] for p in body["data"]]


def test_search_answers_the_product_list_shape_ranked_by_relevance(api, shop):
    status, body, headers = api.get(f"{SEARCH}?q=roses")
    assert status == 200 and ProductSearchSchema().validate(body) == {}
    assert set(names(body)[:2]) == {"Red Rose Bouquet", "White Rose Wedding"}  # names first, then "roses-free" tags
    assert body["pagination"] == {"page": 1, "limit": 20, "total": len(body["data"]), "totalPages": 1,
                                  "hasNext": False, "hasPrev": False}
    assert set(body["data"][0]) >= {"id", "name", "price", "variants", "images", "category"}
    assert "ETag" in headers
    assert names(api.get(f"{SEARCH}?q=rose&maxPrice=5000")[1]) == ["Red Rose Bouquet"]
    assert names(api.get(f"{SEARCH}?q=sunflowr")[1]) == ["Sunflower Sunshine"]  # typo tolerated
    assert api.get(f"{SEARCH}?q=rose&fields=name")[1]["data"][0].keys() == {"id", "name"}


@pytest.mark.parametrize("query, field", [
    ("", "q"), ("?q=", "q"), ("?q=" + "x" * 201, "q"), ("?q=a&minPrice=9&maxPrice=1", "minPrice"),
    ("?q=a&sort=best", "sort"), ("?q=a&sortOrder=up", "sortOrder"), ("?q=a&availability=soon", "availability"),
    ("?q=a&minRating=6", "minRating"), ("?q=a&minRating=abc", "minRating"), ("?q=a&occasion=Birthday!", "occasion"),
    ("?q=a&limit=0", "limit"),
])
def test_bad_search_input_is_a_422_envelope(api, db, query, field):
    status, body, _ = api.get(f"{SEARCH}{query}")
    assert_error(status, body, 422)
    assert field in str(body["error"]["details"]), body


@pytest.mark.parametrize("query, field", [("?q=a&nope=1", "nope"), ("?q=a%00", "request")])
def test_unknown_parameters_and_nul_characters_are_a_400_envelope(api, db, query, field):
    status, body, _ = api.get(f"{SEARCH}{query}")
    assert_error(status, body, 400)
    assert field in str(body["error"]["details"]), body


@pytest.mark.parametrize("query, field", [("?facets=yes", "facets"), ("?color=" + ",".join(["red"] * 21), "color"),
                                          ("?category=Bad_Slug", "category")])
def test_bad_advanced_search_input_is_a_422_envelope(api, db, query, field):
    status, body, _ = api.get(f"{ADVANCED}{query}")
    assert_error(status, body, 422)
    assert field in str(body["error"]["details"]), body


def test_advanced_search_filters_and_counts_facets_under_the_other_filters(api, shop):
    status, body, _ = api.get(f"{ADVANCED}?occasion=birthday,wedding&color=white,red&facets=true")
    assert status == 200 and AdvancedSearchSchema().validate(body) == {}
    assert sorted(names(body)) == ["Red Rose Bouquet", "White Rose Wedding"]
    facets = {name: {e["value"]: e["count"] for e in entries} for name, entries in body["facets"].items()}
    assert facets["occasion"] == {"birthday": 1, "anniversary": 1, "wedding": 1, "sympathy": 1}  # colours only
    assert facets["color"] == {"red": 1, "white": 1, "yellow": 1}  # occasions only
    assert facets["flowerType"] == {"rose": 2}
    assert facets["category"] == {"bouquets": 2}
    assert facets["availability"] == {"in-stock": 1, "out-of-stock": 1}
    assert facets["price"] == {"2500-5000": 1, "10000-20000": 1}
    price = {e["value"]: e for e in body["facets"]["price"]}
    assert (price["2500-5000"]["min"], price["2500-5000"]["max"]) == (2500, 5000)
    assert body["fuzzy"] is False
    body = api.get(f"{ADVANCED}?q=rose&availability=in-stock&facets=true")[1]
    assert names(body) == ["Red Rose Bouquet", "Lily Serenity"]  # the name, then a tag ("roses-free")
    availability = {e["value"]: e["count"] for e in body["facets"]["availability"]}
    assert availability == {"in-stock": 2, "out-of-stock": 1}  # its own filter not applied
    assert "facets" not in api.get(f"{ADVANCED}?q=rose")[1]
    body = api.get(f"{ADVANCED}?category=arrangements,bouquets&flowerType=lily")[1]
    assert names(body) == ["Lily Serenity"]


def test_advanced_search_sorts(api, shop):
    def order(query):
        return names(api.get(f"{ADVANCED}?{query}")[1])

    assert order("sort=price") == ["Sunflower Sunshine", "Red Rose Bouquet", "Lily Serenity", "White Rose Wedding"]
    assert order("sort=price&sortOrder=desc")[0] == "White Rose Wedding"
    assert order("sort=newest")[0] == "Sunflower Sunshine"
    reviewer = quick_user()
    from models.reviews import Review

    Review.create(product=shop["lily"].id, user=reviewer, rating=5, status="approved")
    Review.create(product=shop["sun"].id, user=reviewer, rating=3, status="approved")
    assert order("sort=rating")[:2] == ["Lily Serenity", "Sunflower Sunshine"]
    assert order("minRating=4") == ["Lily Serenity"]
    body = api.get(f"{ADVANCED}?facets=true")[1]
    assert {e["value"]: e["count"] for e in body["facets"]["rating"]} == {"4": 1, "3": 2, "2": 2, "1": 2}
    place_order(api, shop["red"])
    assert order("sort=popular")[0] == "Red Rose Bouquet"
    assert order("q=twelve&sort=relevance") == ["Red Rose Bouquet"]  # its description


def test_autocomplete_suggests_products_categories_and_popular_queries(api, shop):
    user = token_for(make_user())
    for query in ("red roses", "red roses", "ranunculus"):
        assert api.post("/api/v1/search/save", {"q": query}, token=user)[0] == 201
    status, body, _ = api.get("/api/v1/search/autocomplete?q=R")
    assert status == 200 and SuggestionsEnvelopeSchema().validate(body) == {}
    data = body["data"]
    assert [p["name"] for p in data["products"]] == ["Red Rose Bouquet"]  # a one-letter prefix: name starts only
    assert data["queries"] == [{"query": "red roses", "count": 2}, {"query": "ranunculus", "count": 1}]
    data = api.get("/api/v1/search/autocomplete?q=ros")[1]["data"]
    assert set(p["name"] for p in data["products"]) == {"Red Rose Bouquet", "White Rose Wedding"}  # name words
    assert api.get("/api/v1/search/autocomplete?q=bou")[1]["data"]["categories"][0]["slug"] == "bouquets"
    assert api.get("/api/v1/search/autocomplete?q=%25%25")[1]["data"]["products"] == []
    assert_error(*api.get("/api/v1/search/autocomplete")[:2], 422)
    assert_error(*api.get("/api/v1/search/autocomplete?q=a&limit=11")[:2], 422)


def test_history_is_per_user_newest_first_and_clearable(api, db):
    alice, bob = token_for(make_user()), token_for(make_user())
    status, body, _ = api.post("/api/v1/search/save", {"q": "  Red   ROSES ",
                                                       "filters": {"occasion": ["birthday"]}}, token=alice)
    assert status == 201 and body["data"]["normalizedQuery"] == "red roses"
    assert body["data"]["filters"] == {"occasion": ["birthday"]}
    api.post("/api/v1/search/save", {"q": "tulips"}, token=alice)
    api.post("/api/v1/search/save", {"q": "brie"}, token=bob)
    status, body, _ = api.get("/api/v1/search/history", token=alice)
    assert status == 200 and SearchHistorySchema().validate(body) == {}
    assert [h["query"] for h in body["data"]] == ["tulips", "Red   ROSES"]
    assert body["pagination"]["total"] == 2
    assert [h["query"] for h in api.get("/api/v1/search/history", token=bob)[1]["data"]] == ["brie"]
    status, body, _ = api.delete("/api/v1/search/history", token=alice)
    assert status == 200 and body["data"] == {"deleted": 2}
    assert api.get("/api/v1/search/history", token=alice)[1]["data"] == []
    assert len(api.get("/api/v1/search/history", token=bob)[1]["data"]) == 1
    assert {p["query"] for p in api.get("/api/v1/search/popular")[1]["data"]} == {"red roses", "tulips", "brie"}


def test_guests_may_not_save_or_read_a_history(api, db):
    assert_error(*api.post("/api/v1/search/save", {"q": "roses"})[:2], 401)
    assert_error(*api.get("/api/v1/search/history")[:2], 401)
    assert_error(*api.delete("/api/v1/search/history")[:2], 401)


@pytest.mark.parametrize("body, field", [({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 201}, "q"),
                                         ({"q": "a", "extra": 1}, "extra"), ({"q": 5}, "q"),
                                         ({"q": "   "}, "q"), ({"q": "a", "filters": []}, "filters")])
def test_bad_saves_are_a_422_envelope(api, db, body, field):
    status, answer, _ = api.post("/api/v1/search/save", body, token=token_for(make_user()))
    assert_error(status, answer, 422)
    assert field in str(answer["error"]["details"]), answer


def test_popular_searches_roll_up_the_last_days(api, db):
    staff = token_for(quick_user(role="staff"))
    for query in ("roses", "Roses", "brie", "roses"):
        api.post("/api/v1/search/save", {"q": query}, token=staff)
    today = dt.datetime.now(dt.timezone.utc).date()
    SearchQueryDay.create(normalized="tulips", day=today - dt.timedelta(days=3), searches=9)
    SearchQueryDay.create(normalized="lilies", day=today - dt.timedelta(days=30), searches=50)
    status, body, _ = api.get("/api/v1/search/popular")
    assert status == 200
    assert body["data"] == [{"query": "tulips", "count": 9}, {"query": "roses", "count": 3},
                            {"query": "brie", "count": 1}]
    assert api.get("/api/v1/search/popular?days=1&limit=1")[1]["data"] == [{"query": "roses", "count": 3}]
    assert api.get("/api/v1/search/popular?days=90")[1]["data"][0] == {"query": "lilies", "count": 50}
    assert_error(*api.get("/api/v1/search/popular?days=0")[:2], 422)
    assert_error(*api.get("/api/v1/search/popular?days=91")[:2], 422)
