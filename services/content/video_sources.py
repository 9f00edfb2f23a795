"""The video a cart line was added from (seed 002 shoppable videos): services.orders calls
`check_source_video` when an add-to-cart names `sourceVideoId`, stores it on the cart line and
copies it to the order line at checkout; services.analytics counts the attributed sales."""

from __future__ import annotations

from models.videos import Video, VideoProduct
from services.errors import ValidationFailed


def check_source_video(video_id: str, product_id: str) -> str:
    """`video_id` when it names a published video that links `product_id` (a product id, not a
    handle). Raises ValidationFailed (422 `invalid_source_video`)."""
    linked = (VideoProduct.select().join(Video)
              .where(VideoProduct.video == video_id, VideoProduct.product == product_id,
                     Video.is_published == True).exists())  # noqa: E712
    if not linked:
        raise ValidationFailed("sourceVideoId names no published video showing this product",
                               reason="invalid_source_video",
                               details=[{"field": "sourceVideoId", "message": "A published video showing the product"}])
    return video_id
