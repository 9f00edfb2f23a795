"""Avatar uploads over HTTP (seed 002 `POST /upload-avatar`): real PNG and JPEG files made
with Pillow are re-encoded to WebP at most 512x512, upright, with every bit of metadata gone,
stored under MEDIA_DIR and served with a long cache; files that are not images, images of
other types, files too large, decompression bombs and path tricks are refused in the envelope."""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

import config
from models.profiles import CustomerProfile
from tests.factories import assert_error

URL = "/api/v1/users/upload-avatar"
MEDIA = re.compile(r"^/api/v1/media/avatars/(usr_\w+)/([A-Za-z0-9_-]{22}\.webp)$")


@pytest.fixture()
def media_dir(app, tmp_path):
    """MEDIA_DIR under this test's tmp_path (the app is built first: it installs its settings)."""
    path = tmp_path / "media"
    config.override(dataclasses.replace(config.get(), media_dir=str(path)))
    return path


def upload(api, content: bytes, token=None, filename="me.png", field="avatar", **form):
    data = {field: (io.BytesIO(content), filename), **form}
    return api.call("POST", URL, token=token, data=data, content_type="multipart/form-data")


def png_with_metadata(size=(1024, 600)) -> bytes:
    image = Image.new("RGBA", size, (200, 30, 30, 128))
    for x in range(0, size[0], 7):
        image.putpixel((x, x % size[1]), (0, 0, 255, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Person")
    info.add_text("Comment", "GPS 31.9539N 35.9106E")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def jpeg_with_exif(size=(800, 400), orientation=6) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90° clockwise to view" (orientation 6), with a
    camera make, model and GPS position."""
    image = Image.new("RGB", size, (10, 120, 10))
    image.paste((255, 255, 255), (0, 0, size[0] // 2, size[1]))  # the left half white
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = orientation  # Orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 57.0, 14.0), "E", (35.0, 54.0, 38.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90, comment=b"secret comment")
    return out.getvalue()


def stored_file(media_dir, url: str):
    user_id, name = MEDIA.match(url).groups()
    return media_dir / "avatars" / user_id / name


def assert_no_metadata(data: bytes):
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    assert not dict(image.getexif())
    assert not {"exif", "xmp", "icc_profile", "comment", "Author", "Comment"} & set(image.info)
    for secret in (b"SecretCam", b"Model X", b"Secret Person", b"GPS", b"secret comment", b"Exif", b"XMP "):
        assert secret not in data, secret


def test_a_png_becomes_a_bounded_webp_without_metadata_served_with_a_long_cache(api, client, media_dir, user,
                                                                                token):
    status, body, _ = upload(api, png_with_metadata(), token=token)
    assert status == 200, body
    url = body["data"]["avatarUrl"]
    assert MEDIA.match(url) and MEDIA.match(url).group(1) == user.id
    assert set(body["data"]) >= {"id", "email", "avatarUrl", "devices"}
    path = stored_file(media_dir, url)
    data = path.read_bytes()
    assert_no_metadata(data)
    image = Image.open(io.BytesIO(data))
    assert image.size == (512, 300) and image.mode == "RGBA"  # scaled to fit 512x512, aspect kept, alpha kept

    served = client.get(url)
    assert served.status_code == 200 and served.data == data
    assert served.headers["Content-Type"] == "image/webp"
    assert "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert api.get("/api/v1/users/profile", token=token)[1]["data"]["avatarUrl"] == url


def test_a_jpeg_is_turned_upright_and_loses_its_exif_and_gps(api, media_dir, token):
    status, body, _ = upload(api, jpeg_with_exif(), token=token, filename="photo.jpg")
    assert status == 200, body
    data = stored_file(media_dir, body["data"]["avatarUrl"]).read_bytes()
    assert_no_metadata(data)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (256, 512)  # 800x400 rotated by its orientation, then scaled to fit 512
    # the left half of the landscape picture was white: turned 90° clockwise, the top half is
    assert min(image.getpixel((128, 64))) > 200 and image.getpixel((128, 448))[0] < 100


def test_a_small_gif_and_webp_are_accepted(api, media_dir, token):
    for fmt in ("GIF", "WEBP"):
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (1, 2, 3)).save(out, format=fmt)
        status, body, _ = upload(api, out.getvalue(), token=token, filename=f"a.{fmt.lower()}")
        assert status == 200, body
        assert Image.open(stored_file(media_dir, body["data"]["avatarUrl"])).size == (40, 30)  # never scaled up


def test_a_new_avatar_deletes_the_old_file(api, client, media_dir, token):
    first = upload(api, png_with_metadata((64, 64)), token=token)[1]["data"]["avatarUrl"]
    second = upload(api, jpeg_with_exif((64, 32)), token=token)[1]["data"]["avatarUrl"]
    assert first != second
    assert not stored_file(media_dir, first).exists() and stored_file(media_dir, second).exists()
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert len(list(stored_file(media_dir, second).parent.iterdir())) == 1


def test_removing_the_avatar_clears_the_url_and_deletes_the_file(api, client, media_dir, token):
    url = upload(api, png_with_metadata((64, 64)), token=token)[1]["data"]["avatarUrl"]
    status, body, _ = api.delete("/api/v1/users/avatar", token=token)
    assert status == 200 and body["data"]["avatarUrl"] is None, body
    assert not stored_file(media_dir, url).exists() and client.get(url).status_code == 404
    assert api.delete("/api/v1/users/avatar", token=token)[0] == 200  # nothing left to remove: still fine
    assert api.delete("/api/v1/users/avatar")[0] == 401


def test_a_text_file_named_png_is_refused(api, media_dir, user, token):
    status, body, _ = upload(api, b"just some text, not an image\n" * 10, token=token, filename="fake.png")
    assert_error(status, body, 422, "invalid_image")
    assert CustomerProfile.get_or_none(CustomerProfile.user == user.id) is None
    assert not (media_dir / "avatars" / user.id).exists() or not list((media_dir / "avatars" / user.id).iterdir())


def test_an_image_of_another_type_is_415(api, media_dir, token):
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="BMP")
    status, body, _ = upload(api, out.getvalue(), token=token, filename="a.png")
    assert_error(status, body, 415, "unsupported_image_type")


def test_a_truncated_image_is_refused(api, media_dir, token):
    out = io.BytesIO()
    Image.effect_noise((300, 300), 60).convert("RGB").save(out, format="PNG")
    status, body, _ = upload(api, out.getvalue()[:len(out.getvalue()) // 2], token=token)
    assert_error(status, body, 422, "invalid_image")


def test_a_file_larger_than_the_limit_is_413_in_the_envelope(api, media_dir, token):
    config.override(dataclasses.replace(config.get(), avatar_max_bytes=4096))
    out = io.BytesIO()
    Image.effect_noise((200, 200), 80).convert("RGB").save(out, format="PNG")
    assert len(out.getvalue()) > 4096
    status, body, _ = upload(api, out.getvalue(), token=token)
    assert_error(status, body, 413, "avatar_too_large")
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_beyond_the_request_limit_is_413_in_the_envelope(api, media_dir, token):
    status, body, _ = upload(api, b"\0" * (10 * 1024 * 1024 + 1), token=token)
    assert_error(status, body, 413)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\0" * (width // 8 + 1) * 16, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(60_000, 60_000), (5000, 10)])
def test_decompression_bombs_and_oversized_images_are_refused_before_decoding(api, media_dir, token, width, height):
    status, body, _ = upload(api, bomb_png(width, height), token=token)
    assert_error(status, body, 422, "avatar_dimensions_too_large")


def test_a_real_image_over_the_dimension_limit_is_refused(api, media_dir, token):
    config.override(dataclasses.replace(config.get(), avatar_max_dimension=100))
    out = io.BytesIO()
    Image.new("RGB", (101, 50)).save(out, format="PNG")
    status, body, _ = upload(api, out.getvalue(), token=token)
    assert_error(status, body, 422, "avatar_dimensions_too_large")


def test_the_upload_needs_an_avatar_part_and_nothing_else(api, media_dir, token):
    status, body, _ = upload(api, png_with_metadata((8, 8)), token=token, field="file")
    assert_error(status, body, 422, "unknown_fields")
    status, body, _ = api.call("POST", URL, token=token, data={"note": "hi"}, content_type="multipart/form-data")
    assert_error(status, body, 422)
    status, body, _ = api.post(URL, {"avatar": "data:image/png;base64,AAAA"}, token=token)
    assert_error(status, body, 422, "missing_avatar")
    status, body, _ = api.post(URL, token=token)
    assert_error(status, body, 422, "body_required")


def test_an_upload_needs_a_signed_in_customer(api, media_dir):
    status, body, _ = upload(api, png_with_metadata((8, 8)))
    assert_error(status, body, 401)


def test_media_paths_cannot_leave_the_avatar_folder(api, client, media_dir, user, token):
    url = upload(api, png_with_metadata((8, 8)), token=token)[1]["data"]["avatarUrl"]
    folder = stored_file(media_dir, url).parent
    (folder / "notes.txt").write_text("private")
    (media_dir / "secret.webp").write_bytes(b"private")
    (media_dir / "avatars" / "secret.txt").write_text("private")
    for path in [f"/api/v1/media/avatars/{user.id}/notes.txt",
                 f"/api/v1/media/avatars/{user.id}/..%2F..%2Fsecret.webp",
                 f"/api/v1/media/avatars/{user.id}/../../secret.webp",
                 f"/api/v1/media/avatars/{user.id}/%2e%2e%2fsecret.txt",
                 "/api/v1/media/avatars/usr_x/..%2Fsecret.txt",
                 f"/api/v1/media/avatars/../{user.id}/{url.rsplit('/', 1)[1]}",
                 f"/api/v1/media/avatars/usr_doesnotexist/{url.rsplit('/', 1)[1]}",
                 f"/api/v1/media/avatars/{user.id}/{'A' * 22}.webp"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"private" not in response.data and response.get_json()["error"]["code"] == "RESOURCE_NOT_FOUND"
