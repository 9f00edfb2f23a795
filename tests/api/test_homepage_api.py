"""Seed 002's homepage: `/homepage/sections` (banners, categories, for you, trending), the homepage
categories and trending content, and the staff-managed banners."""

from __future__ import annotations

import datetime as dt

import pytest

from models.banners import Banner
from models.db import utcnow
from services import catalog
from tests.factories import assert_error, make_product, quick_user, token_for

SECTIONS = "/api/v1/homepage/sections"
BANNERS = "/api/v1/homepage/banners"


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


def banner_body(**fields):
    return {"title": "Winter sale", "imageUrl": "https://img.test/winter.jpg", "link": "/sale", **fields}


def add_banner(api, token, **fields):
    status, body, _ = api.post(BANNERS, banner_body(**fields), token=token)
    assert status == 201, body
    return body["data"]


def test_staff_manage_banners_and_the_homepage_shows_the_live_ones_in_order(api, staff, settings):
    product = make_product("Brie")
    later = add_banner(api, staff, title="Second", position=2, linkType="product", link=product.id)
    first = add_banner(api, staff, title="First", position=1)
    add_banner(api, staff, title="Hidden", active=False)
    add_banner(api, staff, title="Ended", endsAt=(utcnow() - dt.timedelta(hours=1)).isoformat() + "Z")
    add_banner(api, staff, title="Future", startsAt=(utcnow() + dt.timedelta(days=1)).isoformat() + "Z")

    status, body, headers = api.get(SECTIONS)
    assert status == 200, body
    sections = {s["key"]: s for s in body["data"]["sections"]}
    assert [s["key"] for s in body["data"]["sections"]][:2] == ["banners", "categories"]
    assert "for_you" not in sections  # guests get no personal section
    assert [b["title"] for b in sections["banners"]["banners"]] == ["First", "Second"]
    assert sections["banners"]["banners"][1]["link"] == product.id and sections["banners"]["type"] == "banner"
    assert headers["Cache-Control"].startswith("public")

    status, body, _ = api.put(f"{BANNERS}/{first['id']}", {"position": 3}, token=staff)
    assert status == 200 and body["data"]["position"] == 3
    status, body, _ = api.get(SECTIONS)
    assert [b["title"] for b in body["data"]["sections"][0]["banners"]] == ["Second", "First"]  # write invalidated

    status, body, _ = api.delete(f"{BANNERS}/{later['id']}", token=staff)
    assert status == 200
    status, body, _ = api.get(BANNERS, token=staff)
    assert status == 200 and len(body["data"]) == 4 and later["id"] not in {b["id"] for b in body["data"]}
    assert_error(*api.get(f"{BANNERS}/{later['id']}", token=staff)[:2], 404, "banner_not_found")


def test_banner_input_errors_write_nothing(api, staff):
    assert_error(*api.post(BANNERS, banner_body(imageUrl="http://img.test/a.jpg"), token=staff)[:2], 422)
    assert_error(*api.post(BANNERS, banner_body(link="https://ok.test", linkType="product"), token=staff)[:2],
                 422, "banner_link_invalid")
    assert_error(*api.post(BANNERS, banner_body(linkType="category", link="cat_nope"), token=staff)[:2],
                 422, "banner_link_invalid")
    assert_error(*api.post(BANNERS, banner_body(link="//evil.test/x"), token=staff)[:2], 422, "banner_link_invalid")
    assert_error(*api.post(BANNERS, banner_body(startsAt="2027-01-02T00:00:00Z", endsAt="2027-01-01T00:00:00Z"),
                           token=staff)[:2], 422, "banner_window_reversed")
    assert_error(*api.post(BANNERS, banner_body(title=""), token=staff)[:2], 422)
    assert Banner.select().count() == 0


def test_banners_are_staff_only(api, db):
    customer = token_for(quick_user())
    assert_error(*api.get(BANNERS)[:2], 401)
    assert_error(*api.post(BANNERS, banner_body(), token=customer)[:2], 403, "insufficient_role")
    admin = token_for(quick_user(role="admin"))
    assert api.post(BANNERS, banner_body(), token=admin)[0] == 201


def test_categories_section_lists_the_top_level_active_categories(api, db):
    cheese = catalog.create_category({"name": "Cheese", "sort_order": 2})
    catalog.create_category({"name": "Wine", "sort_order": 1})
    catalog.create_category({"name": "Blue", "parent_id": cheese.id})
    catalog.create_category({"name": "Old", "is_active": False})
    status, body, headers = api.get("/api/v1/homepage/categories")
    assert status == 200, body
    assert [c["name"] for c in body["data"]] == ["Wine", "Cheese"]
    assert all(c["depth"] == 1 for c in body["data"])
    status, body, _ = api.get("/api/v1/homepage/categories?limit=1")
    assert [c["name"] for c in body["data"]] == ["Wine"]


def test_a_signed_in_caller_gets_for_you_and_a_private_answer(api, db):
    make_product("Comte")
    token = token_for(quick_user())
    status, body, headers = api.get(SECTIONS, token=token)
    assert status == 200, body
    keys = [s["key"] for s in body["data"]["sections"]]
    assert keys.index("for_you") < keys.index("trending")
    assert headers["Cache-Control"] == "private, no-cache"
    status, body, _ = api.get("/api/v1/homepage/trending?limit=3")
    assert status == 200 and isinstance(body["data"]["products"], list)


def test_bad_homepage_queries_are_400(api, db):
    assert_error(*api.get(f"{SECTIONS}?limit=0")[:2], 422)
    assert_error(*api.get(f"{SECTIONS}?lat=91&lng=0")[:2], 422)
    assert_error(*api.get("/api/v1/homepage/trending?limit=abc")[:2], 422)


def test_shared_sections_are_cached_until_a_content_write(api, staff, cached):
    add_banner(api, staff, title="Cached")
    assert api.get(SECTIONS)[1]["data"]["sections"][0]["banners"][0]["title"] == "Cached"
    Banner.update(title="Changed behind the cache").execute()  # no write through the service: no bump
    assert api.get(SECTIONS)[1]["data"]["sections"][0]["banners"][0]["title"] == "Cached"
    add_banner(api, staff, title="Second", position=5)  # a write bumps the generation
    titles = [b["title"] for b in api.get(SECTIONS)[1]["data"]["sections"][0]["banners"]]
    assert titles == ["Changed behind the cache", "Second"]


def test_super_app_sections_nearby_stores_featured_videos_and_earn_projects(api, staff, db):
    from tests.factories.stores import make_store
    from tests.factories.videos import make_video
    from tests.services.wallet.earn_helpers import project

    make_store("Far", lat=38.80, lng=-9.14, radius=20)
    make_store("Near", lat=38.7224, lng=-9.1394, radius=3)
    make_store("Out of reach", lat=38.76, lng=-9.14, radius=1)  # its radius does not cover the point
    creator = quick_user(role="staff")
    make_video(creator, title="Featured", is_featured=True)
    make_video(creator, title="Plain")
    make_video(creator, title="Draft", is_featured=True, published=False)
    project(title="Write a review")
    from models.earn import EarnProject

    spent = project(title="Spent", total_budget=500)
    EarnProject.update(budget_spent=500).where(EarnProject.id == spent.id).execute()  # no room for a reward

    status, body, _ = api.get(f"{SECTIONS}?lat=38.7223&lng=-9.1393")
    assert status == 200, body
    sections = {s["key"]: s for s in body["data"]["sections"]}
    assert list(sections)[-3:] == ["nearby_stores", "featured_videos", "earn_projects"]
    assert [s["name"] for s in sections["nearby_stores"]["stores"]] == ["Near", "Far"]
    assert sections["nearby_stores"]["stores"][0]["distanceKm"] < sections["nearby_stores"]["stores"][1]["distanceKm"]
    assert [v["title"] for v in sections["featured_videos"]["videos"]] == ["Featured"]
    assert [p["title"] for p in sections["earn_projects"]["projects"]] == ["Write a review"]
    assert "nearby_stores" not in {s["key"] for s in api.get(SECTIONS)[1]["data"]["sections"]}  # no location

    customer = quick_user()
    status, body, _ = api.get(SECTIONS, token=token_for(customer))
    mine = {s["key"]: s for s in body["data"]["sections"]}["earn_projects"]["projects"]
    assert [p["title"] for p in mine] == ["Write a review"] and mine[0]["yourCompletions"] == 0


def test_trending_lists_products_videos_and_best_rated_stores(api, db):
    from services import content
    from tests.factories.stores import make_store
    from tests.factories.videos import make_video

    good, fine = make_store("Good"), make_store("Fine")
    make_store("Unrated")
    content.review_store(good.id, quick_user(), 5, "Great")
    content.review_store(fine.id, quick_user(), 3, "Fine")
    creator = quick_user(role="staff")
    make_video(creator, title="Popular", views=50)
    make_video(creator, title="Quiet", views=2)
    status, body, _ = api.get("/api/v1/homepage/trending")
    assert status == 200, body
    assert [s["name"] for s in body["data"]["stores"]] == ["Good", "Fine"]
    assert [v["title"] for v in body["data"]["videos"]] == ["Popular", "Quiet"]
