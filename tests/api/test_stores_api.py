"""Stores (seed 002): the public reads and filters, nearby search, store CRUD by role (guest,
customer, another store's staff, the store's staff, admin), bad input in the envelope, store
reviews, and logo/banner uploads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

import config
from models.catalog import Category, Store
from models.stores import StoreReview
from tests.api.test_avatar_upload import jpeg_with_exif, png_with_metadata
from tests.factories import assert_error, make_product, make_store, quick_user, token_for

LISBON = (38.7223, -9.1393)
BODY = {"name": "Padaria Central", "description": "Bread", "location": {
    "address": "Rua Augusta 10", "city": "Lisboa", "country": "PT", "latitude": 38.71, "longitude": -9.137,
    "deliveryRadius": 4.5}, "contact": {"phone": "21 346 0000", "email": "ola@padaria.pt",
                                        "website": "https://padaria.pt"},
    "offers": {"cashback": 7.25, "discountText": "10% off pastries", "isPartner": True},
    "operationalInfo": {"hours": {"friday": [{"open": "22:00", "close": "02:00"}]}, "timeZone": "Europe/Lisbon",
                        "deliveryTime": "20-30 mins", "minimumOrder": {"amount": 1500, "currency": "USD"}}}


@pytest.fixture()
def admin(db):
    return token_for(quick_user(role="admin"))


def test_admin_creates_a_store_that_everyone_reads_by_id_or_slug(api, admin):
    status, body, _ = api.post("/api/v1/stores", BODY, token=admin)
    assert status == 201, body
    store = body["data"]
    assert store["slug"] == "padaria-central" and store["contact"]["phone"] == "+351213460000"
    assert store["offers"] == {"cashback": 7.25, "discountText": "10% off pastries", "isPartner": True}
    assert store["operationalInfo"]["hours"]["friday"] == [{"open": "22:00", "close": "02:00"}]
    assert store["operationalInfo"]["hours"]["monday"] == []
    assert store["operationalInfo"]["minimumOrder"] == {"amount": 1500, "currency": "USD"}
    assert store["location"]["deliveryRadius"] == 4.5 and store["ratings"] == {"average": 0.0, "count": 0}
    assert Store.get_by_id(store["id"]).cashback_bp == 725
    status, body, _ = api.put(f"/api/v1/stores/{store['id']}", {"offers": {"cashback": 7.29}}, token=admin)
    assert status == 200 and body["data"]["offers"]["cashback"] == 7.29
    assert Store.get_by_id(store["id"]).cashback_bp == 729  # not 728: 7.29 * 100 is 728.999... in binary
    for ref in (store["id"], store["slug"]):
        status, body, _ = api.get(f"/api/v1/stores/{ref}")
        assert status == 200 and body["data"]["id"] == store["id"] and "staffIds" not in body["data"]


def test_store_writes_by_role(api, admin):
    owner, other = quick_user(), quick_user()
    store = make_store(staff=[owner])
    make_store(name="Elsewhere", staff=[other])
    url = f"/api/v1/stores/{store.id}"
    assert_error(*api.post("/api/v1/stores", BODY)[:2], 401)
    assert_error(*api.post("/api/v1/stores", BODY, token=token_for(quick_user()))[:2], 403, "insufficient_role")
    assert_error(*api.post("/api/v1/stores", BODY, token=token_for(owner))[:2], 403, "insufficient_role")
    assert_error(*api.put(url, {"name": "Mine"})[:2], 401)
    assert_error(*api.put(url, {"name": "Mine"}, token=token_for(quick_user()))[:2], 403, "store_staff_only")
    assert_error(*api.put(url, {"name": "Mine"}, token=token_for(other))[:2], 403, "store_staff_only")
    assert_error(*api.put(url, {"name": "Mine", "staffIds": [other.id]}, token=token_for(owner))[:2], 403,
                 "store_staff_admin_only")
    assert_error(*api.put(url, {"isActive": False}, token=token_for(owner))[:2], 403, "store_staff_admin_only")
    assert Store.get_by_id(store.id).name == "Loja do Bairro" and Store.get_by_id(store.id).is_active
    status, body, _ = api.put(url, {"name": "Mine", "offers": {"cashback": 3}}, token=token_for(owner))
    assert status == 200 and body["data"]["name"] == "Mine" and body["data"]["staffIds"] == [owner.id]
    assert body["data"]["offers"]["isPartner"] is False and body["data"]["offers"]["cashback"] == 3.0
    status, body, _ = api.put(url, {"staffIds": [other.id]}, token=admin)
    assert status == 200 and body["data"]["staffIds"] == [other.id]
    assert_error(*api.put(url, {"name": "Again"}, token=token_for(owner))[:2], 403, "store_staff_only")
    assert_error(*api.delete(url, token=token_for(other))[:2], 403, "insufficient_role")
    status, body, _ = api.delete(url, token=admin)
    assert status == 200 and body["data"]["isActive"] is False
    assert Store.get_by_id(store.id).is_active is False  # soft: the row stays
    assert_error(*api.get(url)[:2], 404, "store_not_found")
    assert api.get(url, token=token_for(other))[0] == 200  # its staff still see it
    assert api.get(url, token=admin)[0] == 200
    assert store.id not in [s["id"] for s in api.get("/api/v1/stores")[1]["data"]]


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "X", "offers": {"cashback": 100.5}}, "offers.cashback"),
    ({"name": "X", "offers": {"cashback": 1.234}}, "offers.cashback"),
    ({"name": "X", "location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
    ({"name": "X", "location": {"deliveryRadius": -1}}, "location.deliveryRadius"),
    ({"name": "X", "contact": {"email": "not-an-email"}}, "contact.email"),
    ({"name": "X", "contact": {"website": "javascript:alert(1)"}}, "contact.website"),
    ({"name": "X", "operationalInfo": {"hours": {"funday": []}}}, "operationalInfo.hours.funday"),
    ({"name": "X", "operationalInfo": {"hours": {"monday": [{"open": "25:00", "close": "10:00"}]}}},
     "operationalInfo.hours.monday.0.open"),
    ({"name": "X", "operationalInfo": {"timeZone": "Mars/Olympus"}}, "operationalInfo.timeZone"),
    ({"name": "X", "slug": "nearby"}, "slug"),
    ({"name": "X", "unknown": 1}, "unknown"),
])
def test_bad_store_input_is_a_validation_error_that_writes_nothing(api, admin, body, field):
    status, answer, _ = api.post("/api/v1/stores", body, token=admin)
    assert_error(status, answer, 422)
    assert field in [d["field"] for d in answer["error"]["details"]], answer
    assert Store.select().count() == 0


@pytest.mark.parametrize("body, reason", [
    ({"name": "X", "contact": {"phone": "12345"}}, "invalid_store_phone"),
    ({"name": "X", "location": {"latitude": 38.7}}, "store_coordinates_incomplete"),
    ({"name": "X", "operationalInfo": {"minimumOrder": {"amount": 10, "currency": "EUR"}}}, "store_minimum_currency"),
    ({"name": "X", "categoryId": "cat_nothere"}, "unknown_store_category"),
    ({"name": "X", "staffIds": ["usr_nobody"]}, "unknown_store_staff"),
])
def test_business_rules_answer_422_with_their_reason(api, admin, body, reason):
    assert_error(*api.post("/api/v1/stores", body, token=admin)[:2], 422, reason)
    assert Store.select().count() == 0


def test_a_taken_slug_is_a_conflict(api, admin):
    make_store(name="Taken", slug="taken")
    assert_error(*api.post("/api/v1/stores", {"name": "Other", "slug": "taken"}, token=admin)[:2], 409,
                 "store_slug_taken")
    status, body, _ = api.post("/api/v1/stores", {"name": "Taken"}, token=admin)
    assert status == 201 and body["data"]["slug"] == "taken-2"


def test_list_filters_and_pagination(api):
    category = Category.create(name="Bakeries", slug="bakeries")
    sub = Category.create(name="Vegan bakeries", slug="vegan-bakeries", parent=category)
    make_store(name="A Padaria", category_id=category.id, offers={"is_partner": True, "cashback": 5})
    make_store(name="B Vegan", category_id=sub.id)
    make_store(name="C Closed", hours={}, location={"city": "Porto"})
    make_store(name="D Flowers")

    def names(query):
        status, body, _ = api.get(f"/api/v1/stores{query}")
        assert status == 200, body
        return [s["name"] for s in body["data"]], body["pagination"]

    assert names("?limit=2")[0] == ["A Padaria", "B Vegan"]
    assert names("?limit=2&page=2") == (["C Closed", "D Flowers"], {"page": 2, "limit": 2, "total": 4,
                                                                       "totalPages": 2, "hasNext": False,
                                                                       "hasPrev": True})
    assert names("?category=bakeries")[0] == ["A Padaria", "B Vegan"]  # the subcategory's too
    assert names(f"?category={sub.id}")[0] == ["B Vegan"]
    assert names("?city=porto")[0] == ["C Closed"]
    assert names("?openNow=true")[0] == ["A Padaria", "B Vegan", "D Flowers"]
    assert names("?openNow=false")[0] == ["C Closed"]
    assert names("?partner=true")[0] == ["A Padaria"]
    assert names("?search=VEGAN")[0] == ["B Vegan"]
    status, body, _ = api.get(f"/api/v1/categories/{category.id}/stores?partner=false")
    assert status == 200 and [s["name"] for s in body["data"]] == ["B Vegan"]
    assert_error(*api.get("/api/v1/stores?category=nothing")[:2], 404, "category_not_found")
    assert_error(*api.get("/api/v1/stores?openNow=perhaps")[:2], 422)
    assert_error(*api.get("/api/v1/stores?limit=1000")[:2], 422)


def test_nearby_is_nearest_first_within_each_store_radius_and_the_asked_radius(api):
    here = LISBON
    near = make_store(name="Near", lat=38.7230, lng=-9.1400, radius=2)  # ~0.1 km
    mid = make_store(name="Mid", lat=38.7400, lng=-9.1393, radius=5)  # ~2 km
    make_store(name="Short reach", lat=38.7500, lng=-9.1393, radius=1)  # ~3 km away, delivers 1 km
    far = make_store(name="Far", lat=38.8000, lng=-9.1393, radius=20)  # ~8.6 km
    make_store(name="Porto", lat=41.1579, lng=-8.6291, radius=10)
    closed = make_store(name="Gone", lat=38.7224, lng=-9.1394, radius=5)
    Store.update(is_active=False).where(Store.id == closed.id).execute()
    status, body, _ = api.get(f"/api/v1/stores/nearby?lat={here[0]}&lng={here[1]}")
    assert status == 200, body
    assert [s["id"] for s in body["data"]] == [near.id, mid.id, far.id]
    distances = [s["distanceKm"] for s in body["data"]]
    assert distances == sorted(distances) and distances[1] == pytest.approx(1.97, abs=0.05)
    assert body["pagination"]["total"] == 3
    status, body, _ = api.get(f"/api/v1/stores/nearby?lat={here[0]}&lng={here[1]}&radius=5")
    assert [s["name"] for s in body["data"]] == ["Near", "Mid"]
    status, body, _ = api.get(f"/api/v1/stores/nearby?lat={here[0]}&lng={here[1]}&limit=1&page=2")
    assert [s["name"] for s in body["data"]] == ["Mid"] and body["pagination"]["total"] == 3
    status, body, _ = api.get("/api/v1/stores/nearby?lat=0&lng=0")
    assert status == 200 and body["data"] == []
    assert_error(*api.get("/api/v1/stores/nearby?lat=95&lng=0")[:2], 422)
    assert_error(*api.get("/api/v1/stores/nearby?lng=0")[:2], 422)


def test_nearby_finds_stores_across_the_antimeridian(api):
    fiji = make_store(name="Taveuni east", lat=-16.8, lng=179.99, radius=10)
    status, body, _ = api.get("/api/v1/stores/nearby?lat=-16.8&lng=-179.99")
    assert [s["id"] for s in body["data"]] == [fiji.id] and body["data"][0]["distanceKm"] == pytest.approx(2.13,
                                                                                                         abs=0.05)


def test_store_products_are_the_product_list_of_the_store(api):
    store = make_store()
    mine = make_product(name="Pastel de nata", store=store.id)
    make_product(name="Shop's own")
    status, body, _ = api.get(f"/api/v1/stores/{store.slug}/products")
    assert status == 200 and [p["id"] for p in body["data"]] == [mine.id] and body["data"][0]["storeId"] == store.id
    assert_error(*api.get("/api/v1/stores/no-such-store/products")[:2], 404, "store_not_found")


def test_products_take_a_store_through_the_product_write_api(api, admin):
    store = make_store()
    product = make_product(name="Bolo")
    status, body, _ = api.put(f"/api/v1/products/{product.id}", {"storeId": store.id}, token=admin)
    assert status == 200 and body["data"]["storeId"] == store.id, body
    status, body, _ = api.put(f"/api/v1/products/{product.id}", {"storeId": None}, token=admin)
    assert status == 200 and body["data"]["storeId"] is None


def test_a_customer_reviews_a_store_once_and_the_ratings_follow(api):
    owner = quick_user()
    store = make_store(staff=[owner])
    first, second = quick_user(), quick_user()
    url = f"/api/v1/stores/{store.id}/reviews"
    assert_error(*api.post(url, {"rating": 5})[:2], 401)
    status, body, _ = api.post(url, {"rating": 5, "text": "<p>Great <script>alert(1)</script>bread</p>"},
                               token=token_for(first))
    assert status == 201 and body["data"]["text"] == "<p>Great bread</p>", body
    assert_error(*api.post(url, {"rating": 1}, token=token_for(first))[:2], 409, "store_already_reviewed")
    assert api.post(url, {"rating": 2}, token=token_for(second))[0] == 201
    assert_error(*api.post(url, {"rating": 6}, token=token_for(quick_user()))[:2], 422)
    assert_error(*api.post(url, {"rating": 4}, token=token_for(owner))[:2], 403, "own_store_review")
    ratings = api.get(f"/api/v1/stores/{store.id}")[1]["data"]["ratings"]
    assert ratings == {"average": 3.5, "count": 2}
    status, body, _ = api.get(url)
    assert status == 200 and [r["rating"] for r in body["data"]] == [2, 5] and body["pagination"]["total"] == 2
    assert StoreReview.select().count() == 2


def upload(api, store_id, kind, data, token, field="image"):
    return api.call("POST", f"/api/v1/stores/{store_id}/{kind}", token=token,
                    data={field: (io.BytesIO(data), "logo.jpg")}, content_type="multipart/form-data")


def stored(store_id):
    folder = Path(config.get().media_dir) / "stores" / store_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_store_staff_upload_a_logo_and_banner_served_without_metadata(api, admin):
    owner = quick_user()
    store = make_store(staff=[owner])
    assert_error(*upload(api, store.id, "logo", png_with_metadata(), token_for(quick_user()))[:2], 403,
                 "store_staff_only")
    status, body, _ = upload(api, store.id, "logo", jpeg_with_exif(), token_for(owner))
    assert status == 200, body
    logo = body["data"]["logo"]
    assert logo.startswith(f"/api/v1/media/stores/{store.id}/")
    response = api.client.get(logo)
    assert response.status_code == 200 and response.headers["Content-Type"] in ("image/webp", "image/png")
    assert "immutable" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    assert max(image.size) <= 512 and not image.getexif() and image.size[1] > image.size[0]  # EXIF rotation applied
    status, body, _ = upload(api, store.id, "banner", png_with_metadata((3000, 600)), admin)
    assert status == 200 and body["data"]["banner"] and len(stored(store.id)) == 2
    status, body, _ = upload(api, store.id, "logo", png_with_metadata(), token_for(owner))
    assert status == 200 and body["data"]["logo"] != logo and len(stored(store.id)) == 2  # the old logo is gone
    assert api.client.get(logo).status_code == 404


def test_bad_store_uploads_are_refused_in_the_envelope_and_store_nothing(api, admin):
    store = make_store()
    assert_error(*upload(api, store.id, "logo", b"not an image", admin)[:2], 422, "invalid_image")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="BMP")
    assert_error(*upload(api, store.id, "logo", gif.getvalue(), admin)[:2], 415, "unsupported_image_type")
    assert_error(*upload(api, store.id, "logo", png_with_metadata(), admin, field="picture")[:2], 422,
                 "unknown_fields")
    status, body, _ = api.call("POST", f"/api/v1/stores/{store.id}/banner", token=admin, data={},
                               content_type="multipart/form-data")
    assert_error(status, body, 422, "missing_store_image")
    assert stored(store.id) == [] and Store.get_by_id(store.id).logo is None
    assert_error(*api.get(f"/api/v1/media/stores/{store.id}/AAAAAAAAAAAAAAAAAAAAAA.webp")[:2], 404,
                 "store_image_not_found")
