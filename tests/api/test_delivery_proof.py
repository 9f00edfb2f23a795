"""Proof-of-delivery photos (seed 001, issue 10): the courier uploads one at the door, re-encoded
without metadata; the order's customer, staff and the courier see it, nobody else; bad uploads
are refused in the envelope and store nothing."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

import config
from models.orders import OrderDelivery
from tests.api.test_avatar_upload import jpeg_with_exif, png_with_metadata
from tests.api.test_order_tracking_and_couriers import placed
from tests.factories import assert_error, quick_user, token_for


def upload(api, order_id, content, token, field="photo", filename="door.jpg"):
    return api.call("POST", f"/api/v1/orders/{order_id}/delivery/proof", token=token,
                    data={field: (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def out_for_delivery(api, token):
    staff = token_for(quick_user(role="staff"))
    courier = quick_user(role="courier")
    _, order_id = placed(api, token)
    assert api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": courier.id}, token=staff)[0] == 200
    return order_id, token_for(courier), staff


def stored_files(order_id):
    folder = Path(config.get().media_dir) / "delivery-proofs" / order_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_courier_uploads_a_proof_the_customer_sees_without_metadata(api, token):
    order_id, courier, staff = out_for_delivery(api, token)
    assert_error(*upload(api, order_id, png_with_metadata(), courier)[:2], 409, "delivery_not_out")
    assert api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"}, token=courier)[0] == 200
    status, body, _ = upload(api, order_id, jpeg_with_exif(size=(4000, 3000)), courier)
    assert status == 200 and body["data"]["proofPhotoUrl"] == f"/api/v1/orders/{order_id}/delivery/proof", body
    first = stored_files(order_id)
    assert len(first) == 1
    for viewer in (token, staff, courier):
        response = api.client.get(f"/api/v1/orders/{order_id}/delivery/proof",
                                  headers={"Authorization": f"Bearer {viewer}"})
        assert response.status_code == 200 and response.mimetype == "image/webp"
        image = Image.open(io.BytesIO(response.data))
        assert max(image.size) == 1600 and not image.getexif()  # scaled, orientation applied, EXIF gone
        assert image.size == (1200, 1600)
    assert api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered", "cashCollected": True},
                   token=courier)[0] == 200
    status, body, _ = upload(api, order_id, png_with_metadata(), courier)  # a second photo replaces the first
    assert status == 200
    assert len(stored_files(order_id)) == 1 and stored_files(order_id) != first
    events = [e["type"] for e in api.get(f"/api/v1/orders/{order_id}/tracking", token=token)[1]["data"]["events"]]
    assert events.count("delivery_proof") == 2


def test_others_cannot_upload_or_see_a_proof(api, token):
    order_id, courier, staff = out_for_delivery(api, token)
    api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"}, token=courier)
    other_courier = token_for(quick_user(role="courier"))
    assert_error(*upload(api, order_id, png_with_metadata(), other_courier)[:2], 404, "delivery_not_found")
    assert_error(*upload(api, order_id, png_with_metadata(), token)[:2], 403)
    assert_error(*upload(api, order_id, png_with_metadata(), None)[:2], 401)
    assert_error(*api.get(f"/api/v1/orders/{order_id}/delivery/proof", token=token)[:2], 404,
                 "proof_photo_not_found")
    assert upload(api, order_id, png_with_metadata(), courier)[0] == 200
    for outsider in (token_for(quick_user()), other_courier):
        assert_error(*api.get(f"/api/v1/orders/{order_id}/delivery/proof", token=outsider)[:2], 404,
                     "order_not_found")
    assert_error(*api.get(f"/api/v1/orders/{order_id}/delivery/proof")[:2], 401)


def test_bad_uploads_are_refused_and_store_nothing(api, token):
    order_id, courier, _ = out_for_delivery(api, token)
    api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"}, token=courier)
    assert_error(*upload(api, order_id, b"not an image at all", courier)[:2], 422, "invalid_image")
    assert_error(*upload(api, order_id, png_with_metadata(), courier, field="picture")[:2], 422)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="BMP")
    assert_error(*upload(api, order_id, gif.getvalue(), courier)[:2], 415)
    assert stored_files(order_id) == []
    assert OrderDelivery.get(OrderDelivery.order == order_id).proof_photo is None
