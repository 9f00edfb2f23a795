"""Review photos and videos (issue 9): the author uploads them (multipart `file`), photos are
re-encoded to WebP without EXIF or GPS, videos are recognised by their magic bytes and stored as
sent, files that are neither (or too large) are refused in the envelope, other customers cannot
upload, and the media of a review that is not approved are neither listed nor served publicly."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

import config
from models.reviews import ReviewMedia
from tests.api.test_avatar_upload import assert_no_metadata, jpeg_with_exif
from tests.factories import assert_error, make_product, quick_user, token_for
from web import request_checks

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x00" * 512
WEBM = b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webmB\x87\x81\x04" + b"\0" * 256


@pytest.fixture()
def media_dir(app, tmp_path):
    path = tmp_path / "media"
    config.override(dataclasses.replace(config.get(), media_dir=str(path)))
    return path


@pytest.fixture()
def product(db):
    return make_product(name="Manchego")


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture()
def review(api, product):
    """A pending review and its author's token."""
    token = token_for(quick_user())
    status, body, _ = api.post(f"/api/v1/products/{product.id}/reviews", {"rating": 5, "title": "Sharp"}, token=token)
    assert status == 201, body
    return body["data"], token


def upload(api, review_id, content: bytes, token, filename="photo.jpg", field="file"):
    return api.call("POST", f"/api/v1/reviews/{review_id}/media", token=token,
                    data={field: (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def approve(api, review_id, staff_token):
    assert api.post(f"/api/v1/admin/reviews/{review_id}/approve", token=staff_token)[0] == 200


def test_the_request_checks_let_review_media_uploads_through():
    """Multipart bodies are refused (415) except on the upload routes (web.request_checks)."""
    assert request_checks.MULTIPART_UPLOAD.match("/api/v1/reviews/rev_x/media")
    assert not request_checks.MULTIPART_UPLOAD.match("/api/v1/reviews/rev_x/report")
    assert not request_checks.MULTIPART_UPLOAD.match("/api/v1/reviews/rev_x/media/x")


def test_a_photo_is_re_encoded_without_exif_or_gps_and_served_once_approved(api, client, media_dir, product,
                                                                            review, staff_token):
    data, token = review
    status, body, _ = upload(api, data["id"], jpeg_with_exif((3000, 1000)), token)
    assert status == 201, body
    media = body["data"]
    assert media["type"] == "image" and media["url"] == f"/api/v1/reviews/{data['id']}/media/{media['id']}"
    stored = ReviewMedia.get_by_id(media["id"])
    path = media_dir / "reviews" / data["id"] / stored.filename
    raw = path.read_bytes()
    assert_no_metadata(raw)
    assert max(Image.open(io.BytesIO(raw)).size) == 2048  # bounded, aspect kept (turned upright: 1000x3000)

    # pending: not public, but its author sees it
    assert client.get(media["url"]).status_code == 404
    own = client.get(media["url"], headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200 and own.headers["Cache-Control"] == "private, no-store"
    mine = api.get("/api/v1/users/me/reviews", token=token)[1]["data"][0]
    assert [m["id"] for m in mine["media"]] == [media["id"]]

    approve(api, data["id"], staff_token)
    listed = api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"]
    assert [m["url"] for m in listed[0]["media"]] == [media["url"]]
    served = client.get(media["url"])
    assert served.status_code == 200 and served.data == raw
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_media_of_a_review_that_is_not_approved_are_not_listed_publicly(api, client, media_dir, product, review,
                                                                        staff_token):
    data, token = review
    approve(api, data["id"], staff_token)
    media = upload(api, data["id"], jpeg_with_exif((40, 20)), token)[1]["data"]
    # adding media to an approved review sends it back to moderation
    assert api.get("/api/v1/users/me/reviews", token=token)[1]["data"][0]["status"] == "pending"
    assert api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"] == []
    assert client.get(media["url"]).status_code == 404
    assert client.get(media["url"], headers={"Authorization": f"Bearer {token_for(quick_user())}"}).status_code == 404
    assert client.get(media["url"], headers={"Authorization": f"Bearer {staff_token}"}).status_code == 200


@pytest.mark.parametrize("content, media_type", [(MP4, "video/mp4"), (WEBM, "video/webm"),
                                                 (MP4.replace(b"mp42", b"qt  ", 1), "video/quicktime")])
def test_a_video_is_recognised_by_its_magic_bytes_and_stored_as_sent(api, client, media_dir, review, staff_token,
                                                                     content, media_type):
    data, token = review
    status, body, _ = upload(api, data["id"], content, token, filename="clip.bin")
    assert status == 201, body
    assert body["data"]["type"] == "video" and body["data"]["contentType"] == media_type
    approve(api, data["id"], staff_token)
    served = client.get(body["data"]["url"])
    assert served.status_code == 200 and served.data == content
    assert served.headers["Content-Type"] == media_type and served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("content, filename", [
    (b"just some text, not an image\n" * 10, "photo.jpg"),
    (b"not a video at all, only text" * 20, "clip.mp4"),
    (b"\x00\x00\x00\x18ftypM4A " + b"\x00" * 64, "song.mp4"),  # an audio brand is no video
    (b"\x1aE\xdf\xa3" + b"\x00" * 64, "clip.webm"),  # EBML without the webm DocType
])
def test_files_that_are_neither_photo_nor_video_are_refused(api, media_dir, review, content, filename):
    data, token = review
    status, body, _ = upload(api, data["id"], content, token, filename=filename)
    assert_error(status, body, 422, "invalid_image")
    assert ReviewMedia.select().count() == 0
    folder = media_dir / "reviews" / data["id"]
    assert not folder.exists() or not list(folder.iterdir())


def test_size_limits_answer_413_and_bad_parts_422_in_the_envelope(api, media_dir, review):
    data, token = review
    config.override(dataclasses.replace(config.get(), review_image_max_bytes=2048, review_video_max_bytes=4096))
    out = io.BytesIO()
    Image.effect_noise((40, 40), 80).convert("RGB").save(out, format="PNG")
    assert len(out.getvalue()) > 2048
    status, body, _ = upload(api, data["id"], out.getvalue(), token, filename="big.png")
    assert_error(status, body, 413, "review_media_too_large")
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    status, body, _ = upload(api, data["id"], MP4 + b"\0" * 4096, token, filename="big.mp4")
    assert_error(status, body, 413, "review_media_too_large")
    assert upload(api, data["id"], MP4, token)[0] == 201  # under the video limit
    # a body beyond the route's request limit (the largest file limit + the form's framing)
    assert_error(*upload(api, data["id"], MP4 + b"\0" * 200_000, token)[:2], 413)
    assert_error(*upload(api, data["id"], MP4, token, field="photo")[:2], 422, "unknown_fields")
    status, body, _ = api.post(f"/api/v1/reviews/{data['id']}/media", {"file": "AAAA"}, token=token)
    assert_error(status, body, 422, "missing_media_file")
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="BMP")
    assert_error(*upload(api, data["id"], out.getvalue(), token)[:2], 415, "unsupported_image_type")


def test_a_review_has_at_most_five_media_and_only_its_author_adds_them(api, media_dir, review, staff_token):
    data, token = review
    stranger = token_for(quick_user())
    assert_error(*upload(api, data["id"], MP4, stranger)[:2], 404, "review_not_found")  # pending: not visible
    approve(api, data["id"], staff_token)
    assert_error(*upload(api, data["id"], MP4, stranger)[:2], 403, "not_review_author")
    assert_error(*upload(api, data["id"], MP4, token_for(quick_user(role="admin")))[:2], 403, "not_review_author")
    assert_error(*upload(api, data["id"], MP4, None)[:2], 401)
    for _ in range(5):
        assert upload(api, data["id"], MP4, token)[0] == 201
    assert_error(*upload(api, data["id"], MP4, token)[:2], 409, "review_media_limit")
    assert len(list((media_dir / "reviews" / data["id"]).iterdir())) == 5


def test_deleting_media_and_reviews_removes_their_files(api, client, media_dir, review, staff_token):
    data, token = review
    first = upload(api, data["id"], MP4, token)[1]["data"]
    second = upload(api, data["id"], jpeg_with_exif((30, 30)), token)[1]["data"]
    path = f"/api/v1/reviews/{data['id']}/media/{first['id']}"
    assert api.delete(path, token=token_for(quick_user()))[0] == 404
    assert api.delete(path, token=token)[0] == 200
    assert_error(*api.delete(path, token=token)[:2], 404, "review_media_not_found")
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert [m.id for m in ReviewMedia.select()] == [second["id"]]
    assert api.delete(f"/api/v1/reviews/{data['id']}", token=token)[0] == 200
    assert ReviewMedia.select().count() == 0 and not (media_dir / "reviews" / data["id"]).exists()


def test_a_video_larger_than_the_api_body_limit_but_within_its_own_is_accepted(api, media_dir, review):
    data, token = review
    content = MP4 + b"\0" * (11 * 1024 * 1024)  # over the 10 MB body limit of other routes
    status, body, _ = upload(api, data["id"], content, token, filename="clip.mp4")
    assert status == 201, body
    assert ReviewMedia.get_by_id(body["data"]["id"]).size_bytes == len(content)
