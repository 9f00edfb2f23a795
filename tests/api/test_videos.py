"""Shoppable videos through the API: uploads and their checks, roles, another creator's video,
likes, views and shares, comments and moderation, and a video-sourced order in the rollup."""

import datetime as dt
import threading
from pathlib import Path

import pytest

from models.db import database
from models.orders import OrderItem
from models.videos import Video, VideoComment, VideoLike
from services import analytics, content
from tests.factories import assert_error, checkout_body, first_variant, make_product, quick_user, token_for
from tests.factories.videos import make_video, png, tiny_mp4, tiny_webm, upload, webm_with_duration


@pytest.fixture()
def staff(db):
    return quick_user(role="staff")


@pytest.fixture()
def staff_token(staff):
    return token_for(staff)


def test_staff_uploads_an_mp4_whose_duration_comes_from_its_container(client, api, staff_token, settings):
    product = make_product(price=1500, stock=4)
    status, body = upload(client, staff_token, {"productIds": [product.id], "tags": ["Glow", "glow", "skin"],
                                                "isPublished": "true", "description": "<p>Hi<script>x</script></p>"},
                          file=tiny_mp4(12.4), thumbnail=png())
    assert status == 201, body
    video = body["data"]
    assert video["duration"] == 12 and video["contentType"] == "video/mp4" and video["source"] == "upload"
    assert video["tags"] == ["glow", "skin"] and video["description"] == "<p>Hi</p>"
    assert video["products"][0]["price"] == 1500 and video["products"][0]["inventoryCount"] == 4
    status, _, headers = api.get(video["videoUrl"])
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    status, _, headers = api.get(video["thumbnail"])
    assert status == 200 and headers["Content-Type"].startswith("image/")


@pytest.mark.parametrize("fields, file, thumbnail, expected, reason", [
    ({}, b"not a video at all" * 10, None, 415, "video_file_unsupported"),
    ({}, tiny_mp4(), b"GIF89a broken", 422, "invalid_image"),
    ({"duration": "30"}, tiny_mp4(10), None, 422, "video_duration_mismatch"),
    ({"category": "nope"}, tiny_mp4(), None, 422, "video_category_unknown"),
    ({"externalUrl": "https://cdn.example.com/a.mp4"}, tiny_mp4(), None, 422, "video_source_conflict"),
    ({}, None, None, 422, "video_source_required"),
    ({"externalUrl": "http://cdn.example.com/a.mp4"}, None, None, 422, None),
    ({"productIds": ["prod_missing"]}, tiny_mp4(), None, 422, "video_product_not_found"),
])
def test_a_bad_upload_is_refused_in_the_envelope_and_writes_nothing(client, staff_token, settings, fields, file,
                                                                     thumbnail, expected, reason):
    folder = Path(settings.media_dir) / "videos"
    before = set(folder.glob("**/*"))
    status, body = upload(client, staff_token, fields, file=file, thumbnail=thumbnail)
    assert_error(status, body, expected, reason)
    assert Video.select().count() == 0
    assert set(folder.glob("**/*")) == before


def test_a_video_over_the_size_limit_is_413(client, staff_token, settings):
    import dataclasses

    import config
    config.override(dataclasses.replace(settings, video_max_bytes=1024))
    status, body = upload(client, staff_token, file=tiny_mp4() + b"\x00" * 2048)
    assert_error(status, body, 413, "video_file_too_large")
    assert Video.select().count() == 0


def test_a_webm_keeps_its_declared_duration_and_an_external_video_its_url(client, staff_token):
    status, body = upload(client, staff_token, {"duration": "42"}, file=tiny_webm(), filename="a.webm")
    assert status == 201 and body["data"]["duration"] == 42 and body["data"]["contentType"] == "video/webm"
    status, body = upload(client, staff_token, {"externalUrl": "https://cdn.example.com/a.mp4", "duration": "9"})
    assert status == 201 and body["data"]["videoUrl"] == "https://cdn.example.com/a.mp4"


def test_a_webm_duration_is_read_from_its_segment_info(client, staff_token):
    status, body = upload(client, staff_token, file=webm_with_duration(37.4), filename="a.webm")
    assert status == 201 and body["data"]["duration"] == 37 and body["data"]["contentType"] == "video/webm", body
    assert upload(client, staff_token, {"duration": "38"}, file=webm_with_duration(37.4), filename="b.webm")[0] == 201
    status, body = upload(client, staff_token, {"duration": "60"}, file=webm_with_duration(37.4), filename="c.webm")
    assert_error(status, body, 422, "video_duration_mismatch")


def test_roles_guests_and_customers_cannot_upload(client, token, admin_token):
    assert upload(client, None, file=tiny_mp4())[0] == 401
    assert_error(*upload(client, token, file=tiny_mp4()), 403)
    assert upload(client, admin_token, file=tiny_mp4())[0] == 201


def test_only_the_creator_or_an_admin_edits_a_video(api, staff, staff_token, admin_token):
    video = make_video(staff)
    other = token_for(quick_user(role="staff"))
    status, body, _ = api.put(f"/api/v1/videos/{video.id}", {"title": "Mine now"}, token=other)
    assert_error(status, body, 403, "video_not_editable")
    assert api.delete(f"/api/v1/videos/{video.id}", token=other)[0] == 403
    status, body, _ = api.put(f"/api/v1/videos/{video.id}", {"title": "Better", "isFeatured": True}, token=staff_token)
    assert status == 200 and body["data"]["title"] == "Better" and body["data"]["isFeatured"]
    assert api.put(f"/api/v1/videos/{video.id}", {"title": "Admin"}, token=admin_token)[0] == 200
    assert api.delete(f"/api/v1/videos/{video.id}", token=admin_token)[0] == 200
    assert api.get(f"/api/v1/videos/{video.id}")[0] == 404


def test_an_unpublished_video_is_seen_by_its_creator_only(api, staff, staff_token, token):
    video = make_video(staff, published=False)
    assert api.get(f"/api/v1/videos/{video.id}")[0] == 404
    assert api.get(f"/api/v1/videos/{video.id}", token=token)[0] == 404
    assert api.get(f"/api/v1/videos/{video.id}", token=staff_token)[0] == 200
    assert api.get("/api/v1/videos")[1]["pagination"]["total"] == 0
    status, body, _ = api.get("/api/v1/videos?published=false", token=staff_token)
    assert status == 200 and [v["id"] for v in body["data"]] == [video.id]


def test_list_filters_by_category_tag_featured_and_product(api, staff):
    product = make_product()
    a = make_video(staff, [product.id], tags=["glow"], is_featured=True)
    make_video(staff, category="waist")
    for query, expected in (("category=trending_me", [a.id]), ("tag=GLOW", [a.id]), ("featured=true", [a.id]),
                            (f"productId={product.id}", [a.id])):
        status, body, _ = api.get(f"/api/v1/videos?{query}")
        assert status == 200 and [v["id"] for v in body["data"]] == expected, query
    status, body, _ = api.get("/api/v1/videos/categories")
    assert {"id": "waist", "name": "Waist", "videoCount": 1} in body["data"]


def test_like_toggles_once_per_user_and_tells_the_creator(api, staff, token, monkeypatch):
    events = []
    monkeypatch.setattr("services.platform.user_events.publish_user_event",
                        lambda user_id, event, data: events.append((user_id, event, data)))
    video = make_video(staff)
    status, body, _ = api.post(f"/api/v1/videos/{video.id}/like", token=token)
    assert status == 200 and body["data"] == {"liked": True, "likes": 1}
    assert api.post(f"/api/v1/videos/{video.id}/like", {"liked": True}, token=token)[1]["data"]["likes"] == 1
    assert api.post(f"/api/v1/videos/{video.id}/like", token=token)[1]["data"] == {"liked": False, "likes": 0}
    assert [(u, e, d["type"]) for u, e, d in events] == [(staff.id, "video_engagement", "like"),
                                                          (staff.id, "video_engagement", "unlike")]
    assert api.post(f"/api/v1/videos/{video.id}/like")[0] == 401


def test_concurrent_likes_keep_the_count_equal_to_the_rows(app, staff):
    video = make_video(staff)
    users = [quick_user() for _ in range(8)]
    errors = []

    def like(user):
        try:
            with database.connection_context():
                content.set_like(user, video.id, True)
                content.set_like(user, video.id, True)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=like, args=(u,)) for u in users]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    assert Video.get_by_id(video.id).likes == VideoLike.select().count() == 8


def test_views_and_shares_are_buffered_and_flushed_exactly_once(api, staff):
    video = make_video(staff)
    for _ in range(5):
        assert api.post(f"/api/v1/videos/{video.id}/view")[0] == 200
    status, body, _ = api.post(f"/api/v1/videos/{video.id}/share")
    assert status == 200 and body["data"]["views"] == 5 and body["data"]["shares"] == 1
    assert Video.get_by_id(video.id).views == 0  # not written per view
    assert api.get(f"/api/v1/videos/{video.id}")[1]["data"]["engagement"]["views"] == 5
    result = content.flush_counters()
    assert result["views"] == 5 and result["shares"] == 1
    assert content.flush_counters()["views"] == 0
    stored = Video.get_by_id(video.id)
    assert (stored.views, stored.shares) == (5, 1)
    assert api.get(f"/api/v1/videos/{video.id}")[1]["data"]["engagement"]["views"] == 5


def test_comments_wait_for_moderation_unless_staff(api, staff, staff_token, token, user):
    video = make_video(staff)
    status, body, _ = api.post(f"/api/v1/videos/{video.id}/comments", {"body": "<b>Love</b> it<script>x</script>"},
                               token=token)
    assert status == 201 and body["data"]["status"] == "pending" and "script" not in body["data"]["body"]
    comment_id = body["data"]["id"]
    assert api.get(f"/api/v1/videos/{video.id}/comments")[1]["data"] == []
    assert len(api.get(f"/api/v1/videos/{video.id}/comments", token=token)[1]["data"]) == 1
    assert api.post(f"/api/v1/videos/{video.id}/comments/{comment_id}/approve", token=token)[0] == 403
    status, body, _ = api.post(f"/api/v1/videos/{video.id}/comments/{comment_id}/approve", token=staff_token)
    assert status == 200 and body["data"]["status"] == "approved"
    api.post(f"/api/v1/videos/{video.id}/comments/{comment_id}/approve", token=staff_token)  # again: no change
    assert Video.get_by_id(video.id).comments == 1
    api.post(f"/api/v1/videos/{video.id}/comments/{comment_id}/reject", token=staff_token)
    assert Video.get_by_id(video.id).comments == 0
    status, body, _ = api.post(f"/api/v1/videos/{video.id}/comments", {"body": "Staff note"}, token=staff_token)
    assert body["data"]["status"] == "approved" and Video.get_by_id(video.id).comments == 1
    assert VideoComment.select().count() == 2
    assert api.post(f"/api/v1/videos/{video.id}/comments", {"body": "x"})[0] == 401


def test_a_video_sourced_cart_line_reaches_the_order_and_the_rollup(api, staff):
    product = make_product(price=2000, stock=5)
    other = make_product(name="Other", price=900, stock=5)
    video = make_video(staff, [product.id])
    status, body, _ = api.post("/api/v1/cart", {"currency": "USD"})
    cart_id = body["data"]["id"]
    item = {"productId": other.id, "variantId": first_variant(other).id, "quantity": 1, "sourceVideoId": video.id}
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", item)
    assert_error(status, body, 422, "invalid_source_video")
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {**item, "sourceVideoId": None, "productId": other.id})
    assert status == 200
    status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 2,
                                                                 "sourceVideoId": video.id})
    assert status == 200 and {i["sourceVideoId"] for i in body["data"]["items"]} == {None, video.id}
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    lines = {line.product_id: line.source_video_id for line in OrderItem.select()}
    assert lines == {product.id: video.id, other.id: None}
    analytics.roll_up_day(dt.datetime.utcnow().date())
    report = analytics.sales_report()
    assert report["totals"]["videoOrders"] == 1 and report["totals"]["videoRevenue"] == 4000


def test_unknown_video_is_404_in_the_envelope(api, token):
    status, body, _ = api.post("/api/v1/videos/vid_nope/like", token=token)
    assert_error(status, body, 404, "video_not_found")


def test_video_roles_mirror_the_permission_matrix():
    from services.content.videos import ROLES
    from services.customers.permissions import PERMISSIONS

    assert ROLES == {name: PERMISSIONS[name] for name in ROLES}
