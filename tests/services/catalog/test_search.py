"""Full-text product search (services.catalog.search, search_index, facets): ranking by field
weight, stemming and prefixes, typo tolerance, the index following product writes, filters,
sorts and disjunctive facet counts - on SQLite (FTS5) and PostgreSQL (tsvector, pg_trgm)."""

import pytest

from models.catalog import Product
from models.reviews import Review
from services import catalog
from services.catalog import search_index
from services.catalog.search import search_products
from services.catalog.search_filters import SearchFilters
from tests.factories import make_product
from tests.factories.customers import quick_user


def product(name, price=2000, stock=5, **fields):
    data = {"name": name, "variants": [{"price": price, "inventory_count": stock}], **fields}
    return catalog.create_product(data)


def names(result):
    return [v.product.name for v in result.views]


def florist(name, price, occasion, flower, colors, stock=5, category="bouquets"):
    return product(name, price, stock, kind="florist", category=category,
                   attributes={"occasion": occasion, "flowerType": flower, "colors": colors})


def review(product_id, rating, status="approved"):
    Review.create(product=product_id, user=quick_user(), rating=rating, status=status)


def test_name_outranks_tags_which_outrank_the_description(db):
    product("Plain vase", description="<p>A vase for a <b>velvet</b> evening</p>")
    product("Velvet dream bouquet")
    product("Cheerful mix", tags=["velvet", "gift"])
    product("Unrelated candle")
    result = search_products("velvet")
    assert names(result) == ["Velvet dream bouquet", "Cheerful mix", "Plain vase"]
    assert result.total == 3 and not result.fuzzy


def test_every_word_must_match_and_stems_and_prefixes_count(db):
    product("Red Rose Bouquet")
    product("White rose posy")
    product("Rosemary soap")
    product("Red tulips")
    assert set(names(search_products("roses"))[:2]) == {"Red Rose Bouquet", "White rose posy"}  # stemming
    assert names(search_products("red roses")) == ["Red Rose Bouquet"]
    assert names(search_products("bouq")) == ["Red Rose Bouquet"]  # prefix
    found = names(search_products("rose"))
    assert "Rosemary soap" in found and found[-1] == "Rosemary soap"  # a prefix match ranks below exact words


def test_a_typo_falls_back_to_similar_names(db):
    product("Sunflower Sunshine")
    product("Lavender Dreams")
    result = search_products("sunflowr")
    assert names(result) == ["Sunflower Sunshine"] and result.fuzzy
    assert names(search_products("lavendar")) == ["Lavender Dreams"]
    assert search_products("zzqxv").total == 0 and not search_products("zzqxv").fuzzy


def test_several_words_fall_back_to_any_word_before_typos(db):
    product("Brie de Meaux", description="A soft cow's milk cheese")
    product("Manchego", tags=["sheep-milk"])
    result = search_products("sheep cheese")  # no product has both words
    assert set(names(result)) == {"Brie de Meaux", "Manchego"} and result.fuzzy
    assert not search_products("cow cheese").fuzzy


def test_the_index_follows_updates_and_archiving(db):
    p = product("Peony Blush")
    assert names(search_products("peony")) == ["Peony Blush"]
    catalog.update_product(p.id, {"name": "Orchid Elegance", "tags": ["exotic"]})
    assert search_products("peony").total == 0
    assert names(search_products("orchid")) == ["Orchid Elegance"]
    assert names(search_products("exotic")) == ["Orchid Elegance"]
    catalog.archive_product(p.id)
    assert search_products("orchid").total == 0
    draft = make_product(name="Orchid draft", status="draft")  # a raw INSERT is indexed too
    assert search_products("orchid").total == 0
    Product.update(status="active").where(Product.id == draft.id).execute()
    assert names(search_products("orchid")) == ["Orchid draft"]


def test_blank_or_symbol_queries_are_a_filtered_browse(db):
    product("One", price=100)
    product("Two", price=300)
    assert search_index.terms("  !!  ") == []
    assert names(search_products("!!", sort="price")) == ["One", "Two"]
    assert search_products(None).total == 2


def test_filters_narrow_the_search(db):
    florist("Rose birthday", 3000, ["birthday"], "rose", ["red"])
    florist("Rose wedding", 12000, ["wedding"], "rose", ["white"], stock=0)
    florist("Lily sympathy", 6000, ["sympathy"], "lily", ["white"], category="arrangements")
    assert names(search_products(None, SearchFilters(attributes={"occasion": ["birthday", "wedding"]}),
                                 sort="price")) == ["Rose birthday", "Rose wedding"]
    assert names(search_products(None, SearchFilters(attributes={"color": ["white"], "flowerType": ["rose"]}))) \
        == ["Rose wedding"]
    assert names(search_products(None, SearchFilters(min_price=5000, max_price=10000))) == ["Lily sympathy"]
    assert names(search_products(None, SearchFilters(in_stock=False))) == ["Rose wedding"]
    assert names(search_products(None, SearchFilters(categories=("arrangements",)))) == ["Lily sympathy"]
    assert search_products(None, SearchFilters(categories=("nope",))).total == 0


def test_minimum_rating_and_the_sorts(db):
    a = florist("Alpha", 5000, ["birthday"], "rose", ["red"])
    b = florist("Beta", 1000, ["birthday"], "rose", ["red"])
    c = florist("Gamma", 3000, ["birthday"], "rose", ["red"])
    review(a.id, 5)
    review(b.id, 3)
    review(b.id, 4)
    review(c.id, 1, status="pending")  # not counted
    assert names(search_products(None, SearchFilters(min_rating=3.5), sort="rating")) == ["Alpha", "Beta"]
    assert names(search_products(None, sort="rating")) == ["Alpha", "Beta", "Gamma"]
    assert names(search_products(None, sort="price")) == ["Beta", "Gamma", "Alpha"]
    assert names(search_products(None, sort="price", sort_order="desc")) == ["Alpha", "Gamma", "Beta"]
    assert names(search_products(None, sort="newest")) == ["Gamma", "Beta", "Alpha"]
    assert names(search_products(None, sort="relevance")) == ["Gamma", "Beta", "Alpha"]  # no query: newest


def test_pages_do_not_overlap_and_total_counts_every_match(db):
    for i in range(7):
        product(f"Tulip {i}")
    first = search_products("tulip", limit=3)
    second = search_products("tulip", page=2, limit=3)
    third = search_products("tulip", page=3, limit=3)
    assert first.total == second.total == third.total == 7
    seen = names(first) + names(second) + names(third)
    assert sorted(seen) == sorted(f"Tulip {i}" for i in range(7))


def test_facets_count_each_value_under_the_other_filters(db):
    florist("Rose birthday", 3000, ["birthday", "anniversary"], "rose", ["red"])
    florist("Rose wedding", 12000, ["wedding"], "rose", ["white"], stock=0)
    florist("Lily sympathy", 6000, ["sympathy"], "lily", ["white"], category="arrangements")
    florist("Lily birthday", 2000, ["birthday"], "lily", ["pink"], category="arrangements")
    filters = SearchFilters(attributes={"occasion": ["birthday"], "color": ["white", "pink"]})
    result = search_products(None, filters, with_facets=True)
    assert names(result) == ["Lily birthday"]
    counts = {name: {e["value"]: e["count"] for e in entries} for name, entries in result.facets.items()}
    # occasion facet ignores the occasion filter (colours white or pink): three products
    assert counts["occasion"] == {"birthday": 1, "wedding": 1, "sympathy": 1}
    # colour facet ignores the colour filter (occasion birthday): the red and the pink one
    assert counts["color"] == {"red": 1, "pink": 1}
    assert counts["flowerType"] == {"lily": 1}
    assert counts["category"] == {"arrangements": 1}
    assert counts["availability"] == {"in-stock": 1}
    assert counts["price"] == {"0-2500": 1}
    assert counts["rating"] == {}
    assert counts["skinType"] == {} and counts["concern"] == {}
    with_text = search_products("rose", SearchFilters(attributes={"occasion": ["wedding"]}), with_facets=True)
    occasion = {e["value"]: e["count"] for e in with_text.facets["occasion"]}
    assert names(with_text) == ["Rose wedding"]
    assert occasion == {"birthday": 1, "anniversary": 1, "wedding": 1}
    availability = {e["value"]: e["count"] for e in with_text.facets["availability"]}
    assert availability == {"out-of-stock": 1}
    assert [e.get("label") for e in result.facets["category"]] == ["Arrangements"]


@pytest.mark.parametrize("a, b, low, high", [("rose", "rose", 1.0, 1.0), ("rosse", "rose", 0.5, 0.6),
                                             ("tulip", "daisy", 0.0, 0.1)])
def test_trigram_similarity_is_pg_trgm_s_measure(a, b, low, high):
    assert low <= search_index.trigram_similarity(a, b) <= high
