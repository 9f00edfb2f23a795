"""Proof-of-delivery photos (seed 001: a delivery "with the actual time and an optional proof
photo"): the courier (or staff) uploads a photo of the parcel at the door while the delivery is
out or once it is delivered; the order's customer, staff and the courier can see it.

The upload is checked and re-encoded as avatars are (services.platform.images.clean_image: JPEG,
PNG, WebP or GIF read by Pillow, EXIF orientation applied, every metadata dropped, so no GPS trail
of the courier survives), scaled to at most PROOF_SIZE pixels a side and at most PROOF_MAX_BYTES
as uploaded. Files: `<MEDIA_DIR>/delivery-proofs/<order id>/<22 random URL-safe characters>.webp`;
a new photo replaces the previous one (deleted after the commit). The URL is
`/api/v1/orders/{id}/delivery/proof`, which answers the current photo.
"""

from __future__ import annotations

from pathlib import Path

import config
from models.db import atomic, utcnow
from models.orders import Order, OrderDelivery
from models.users import User
from services.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from services.orders import timeline
from services.orders.deliveries import delivery_for
from services.platform import images, media_files

PROOF_SIZE = 1600  # pixels, the longest side of a stored photo
PROOF_MAX_BYTES = 10 * 1024 * 1024  # an upload's size limit
PROOF_MAX_DIMENSION = 12_000  # pixels, width and height of an upload (stops decompression bombs)
PROOF_STATUSES = ("out_for_delivery", "delivered")


class ProofTooLarge(PayloadTooLarge):
    """The upload is larger than PROOF_MAX_BYTES (413)."""

    reason = "proof_photo_too_large"


class ProofDimensionsTooLarge(ValidationFailed):
    """The photo is wider or taller than PROOF_MAX_DIMENSION pixels (422)."""

    reason = "proof_photo_dimensions_too_large"


def _folder(order_id: str) -> Path:
    return Path(config.get().media_dir) / "delivery-proofs" / order_id


def proof_url(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/delivery/proof"


def store_proof(order_id: str, user: User, raw: bytes | None) -> OrderDelivery:
    """Store the photo as the proof of the order's delivery, as its courier or staff. Returns the
    delivery. Raises NotFound (404 `delivery_not_found`: no delivery, or another courier's),
    Conflict (409 `delivery_not_out`: not out for delivery nor delivered), ProofTooLarge (413),
    UnsupportedImageType (415), ValidationFailed (422 `missing_proof_photo`, `invalid_image`,
    `proof_photo_dimensions_too_large`)."""
    delivery = delivery_for(order_id, user)
    if delivery.status not in PROOF_STATUSES:
        raise Conflict("A proof photo is taken at the door: the delivery is not out", reason="delivery_not_out")
    if raw is None:
        raise ValidationFailed("Send the photo as multipart/form-data field 'photo'", reason="missing_proof_photo",
                               details=[{"field": "photo", "message": "Missing file"}])
    if len(raw) > PROOF_MAX_BYTES:
        raise ProofTooLarge(f"The photo must be at most {PROOF_MAX_BYTES} bytes",
                            details=[{"field": "photo", "message": f"At most {PROOF_MAX_BYTES} bytes"}])
    encoded, extension = images.clean_image(raw, longest_side=PROOF_SIZE, max_dimension=PROOF_MAX_DIMENSION,
                                            field="photo", too_wide=ProofDimensionsTooLarge)
    folder = _folder(order_id)
    name = media_files.store_new_file(folder, encoded, extension)
    try:
        with atomic():
            previous = OrderDelivery.select(OrderDelivery.proof_photo).where(OrderDelivery.id == delivery.id).scalar()
            OrderDelivery.update(proof_photo=name, updated_at=utcnow()).where(OrderDelivery.id == delivery.id).execute()
            timeline.record_event(order_id, "delivery_proof", user)
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    if previous and previous != name:
        (folder / previous).unlink(missing_ok=True)
    return OrderDelivery.get_by_id(delivery.id)


def proof_file(order_id: str, user: User) -> tuple[Path, str]:
    """The order's proof photo and its media type, for the order's customer, staff or its courier.
    Raises NotFound (404 `order_not_found` for anyone else, `proof_photo_not_found` without one)."""
    order = Order.get_or_none(Order.id == order_id)
    delivery = OrderDelivery.get_or_none(OrderDelivery.order == order_id) if order else None
    allowed = order is not None and (user.is_staff or user.id == order.customer_id
                                     or (delivery is not None and delivery.courier_id == user.id))
    if not allowed:
        raise NotFound("Order not found", reason="order_not_found")
    name = delivery.proof_photo if delivery else None
    path = _folder(order_id) / name if name else None
    if path is None or not path.is_file():
        raise NotFound("No proof photo for this delivery", reason="proof_photo_not_found")
    return path, images.MEDIA_TYPES[name.rsplit(".", 1)[1]]
