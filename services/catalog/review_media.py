"""Photos and short videos of reviews (issue 9): upload, delete, serve, and review views with
their media.

Only a review's author adds media, at most MAX_MEDIA_PER_REVIEW (5) per review (409
`review_media_limit`; counted under the review's row lock). The file's own bytes decide what it
is, never its name or declared type:

- a video when its magic bytes are an ISO-BMFF `ftyp` box of an MP4 or QuickTime brand
  (`video/mp4`, `video/quicktime`) or an EBML header of DocType `webm` (`video/webm`); at most
  `REVIEW_VIDEO_MAX_BYTES` (default 20 MB; 413 `review_media_too_large`); stored as sent;
- anything else must be an image: at most `REVIEW_IMAGE_MAX_BYTES` (default 8 MB; 413), checked
  and re-encoded by services.platform.images.clean_image (422 `invalid_image` for a file that is
  no image - a text file named .jpg -, 415 `unsupported_image_type`, 422
  `review_media_dimensions_too_large` over IMAGE_MAX_DIMENSION pixels a side), scaled to at
  most IMAGE_SIZE pixels a side, WebP without any metadata.

Adding media to an approved or rejected review sends it back to moderation like a text edit
(services.catalog.reviews.resubmitted). Files: `<MEDIA_DIR>/reviews/<review id>/<22 random
URL-safe characters>.<webp|png|mp4|mov|webm>`, served at `/api/v1/reviews/<review id>/media/<media
id>` with their stored Content-Type: to everyone when the review is approved, otherwise to its
author and staff only (404 for anyone else), so a review's media are listed and served publicly
only while it is approved. The author or an admin deletes one; deleting a review deletes its
folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import config
from models.db import atomic, is_postgres, utcnow
from models.reviews import Review, ReviewMedia
from models.users import User
from services.catalog.reviews import (authored_review, delete_review_rows, resubmitted, review_view, summary_changed,
                                      visible_review)
from services.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from services.platform import images, media_files, video_containers

MAX_MEDIA_PER_REVIEW = 5
IMAGE_SIZE = 2048  # pixels, the longest side of a stored review photo
IMAGE_MAX_DIMENSION = 8192  # pixels a side an uploaded photo may have before it is scaled down
FIELD = "file"


class ReviewMediaTooLarge(PayloadTooLarge):
    """The upload is larger than REVIEW_IMAGE_MAX_BYTES / REVIEW_VIDEO_MAX_BYTES (413)."""

    reason = "review_media_too_large"


class ReviewMediaDimensionsTooLarge(ValidationFailed):
    """The photo is wider or taller than IMAGE_MAX_DIMENSION pixels (422)."""

    reason = "review_media_dimensions_too_large"


def media_dir(review_id: str) -> Path:
    """`<MEDIA_DIR>/reviews/<review id>`."""
    return Path(config.get().media_dir) / "reviews" / review_id


def _too_large(limit: int) -> ReviewMediaTooLarge:
    return ReviewMediaTooLarge(f"The file must be at most {limit} bytes",
                               details=[{"field": FIELD, "message": f"At most {limit} bytes"}])


def clean_media(raw: bytes | None) -> tuple[str, bytes, str, str]:
    """The upload checked (module docstring): (kind "image" | "video", bytes to store, media type,
    extension). Raises ValidationFailed (422 `missing_media_file`, `invalid_image`,
    `review_media_dimensions_too_large`), ReviewMediaTooLarge (413), UnsupportedImageType (415)."""
    if raw is None:
        raise ValidationFailed("Send the file as multipart/form-data field 'file'", reason="missing_media_file",
                               details=[{"field": FIELD, "message": "Missing file"}])
    settings = config.get()
    video = video_containers.video_type(raw)
    if video is not None:
        if len(raw) > settings.review_video_max_bytes:
            raise _too_large(settings.review_video_max_bytes)
        return "video", raw, video[0], video[1]
    if len(raw) > settings.review_image_max_bytes:
        raise _too_large(settings.review_image_max_bytes)
    encoded, extension = images.clean_image(raw, longest_side=IMAGE_SIZE, max_dimension=IMAGE_MAX_DIMENSION,
                                            field=FIELD, too_wide=ReviewMediaDimensionsTooLarge)
    return "image", encoded, images.MEDIA_TYPES[extension], extension


def media_url(review_id: str, media_id: str) -> str:
    return f"/api/v1/reviews/{review_id}/media/{media_id}"


def media_view(media: ReviewMedia) -> dict:
    """`{"id", "type": "image" | "video", "url", "contentType"}`."""
    return {"id": media.id, "type": media.kind, "url": media_url(media.review_id, media.id),
            "contentType": media.content_type}


def media_views(review_ids) -> dict:
    """`{review id: [media_view, ...] oldest first}` for the reviews given (each present)."""
    ids = list(review_ids)
    out = {rid: [] for rid in ids}
    if ids:
        for media in (ReviewMedia.select().where(ReviewMedia.review.in_(ids))
                      .order_by(ReviewMedia.created_at, ReviewMedia.id)):
            out[media.review_id].append(media_view(media))
    return out


def review_views(reviews: list[Review], private: bool = False) -> list[dict]:
    """services.catalog.review_view of each review, with its media (one query for them all)."""
    media = media_views(r.id for r in reviews)
    return [review_view(r, media[r.id], private=private) for r in reviews]


def add_media(user: User, review_id: str, raw: bytes | None) -> dict:
    """Add a photo or video (the upload's bytes) to the caller's own review. Returns its
    media_view. Raises NotFound, NotAllowed (403 `not_review_author`), Conflict (409
    `review_media_limit`), and what `clean_media` raises."""
    authored_review(user, review_id, admin_too=False)
    kind, data, content_type, extension = clean_media(raw)
    folder = media_dir(review_id)
    name = media_files.store_new_file(folder, data, extension)
    try:
        with atomic():
            query = Review.select().where(Review.id == review_id)
            review = (query.for_update("FOR NO KEY UPDATE") if is_postgres() else query).first()
            if review is None:
                raise NotFound("Review not found", reason="review_not_found")
            if ReviewMedia.select().where(ReviewMedia.review == review.id).count() >= MAX_MEDIA_PER_REVIEW:
                raise Conflict(f"A review has at most {MAX_MEDIA_PER_REVIEW} photos and videos",
                               reason="review_media_limit")
            media = ReviewMedia.create(review=review.id, kind=kind, filename=name, content_type=content_type,
                                       size_bytes=len(data))
            again = resubmitted(review)
            if again:
                Review.update(**again, updated_at=utcnow()).where(Review.id == review.id).execute()
            if review.status == "approved":
                summary_changed()  # its media changed, and it may have left the public list
    except BaseException:
        (folder / name).unlink(missing_ok=True)
        raise
    return media_view(media)


def delete_media(user: User, review_id: str, media_id: str) -> None:
    """Delete one photo or video of a review (its author or an admin); the file goes after the
    commit. Raises NotFound (`review_media_not_found`), NotAllowed (403)."""
    authored_review(user, review_id)
    with atomic():
        media = ReviewMedia.get_or_none(ReviewMedia.id == media_id, ReviewMedia.review == review_id)
        if media is None:
            raise NotFound("Media not found", reason="review_media_not_found")
        ReviewMedia.delete().where(ReviewMedia.id == media.id).execute()
    (media_dir(review_id) / media.filename).unlink(missing_ok=True)


def media_file(user: User | None, review_id: str, media_id: str) -> tuple[Path, str, bool]:
    """(the stored file of a review's media, its media type, whether it is public), for serving to
    `user` (None: a guest): any approved review's, otherwise only to its author and staff. Only
    names this module made are looked up. Raises NotFound (`review_media_not_found`,
    `review_not_found`)."""
    review = visible_review(review_id, user)
    media = ReviewMedia.get_or_none(ReviewMedia.id == media_id, ReviewMedia.review == review_id)
    path = media_dir(review_id) / media.filename if media is not None else None
    if path is None or not path.is_file():
        raise NotFound("Media not found", reason="review_media_not_found")
    return path, media.content_type, review.status == "approved"


def delete_review(user: User, review_id: str) -> None:
    """Delete a review (author or admin) with its votes, reports and media, then its media folder.
    Raises NotFound, NotAllowed (403)."""
    delete_review_rows(user, review_id)
    shutil.rmtree(media_dir(review_id), ignore_errors=True)
