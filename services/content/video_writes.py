"""Creating, changing and deleting shoppable videos (creators: `videos:create`, staff and admins;
a video's creator or an admin edits it: services.content.videos.may_edit).

A video is an uploaded file or an external https URL (`video_source_required`,
`video_source_conflict`, `video_url_not_https`; 422); its `category` one of VIDEO_CATEGORIES;
`tags` lower-case, duplicates dropped; `product_ids` existing products (422
`video_product_not_found`), duplicates dropped, shown in the order given; `description`
sanitised HTML (services.platform.html). Every check runs before anything is written; files are
written first and removed again when the transaction fails, so an error leaves nothing behind.
Deleting a video deletes its likes, comments, product links and files.
"""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

from models.catalog import Product
from models.db import atomic, new_id, utcnow
from models.users import User
from models.videos import Video, VideoProduct
from services.content import video_uploads
from services.content.video_categories import check_category
from services.content.videos import get_video, may_edit
from services.errors import NotAllowed, ValidationFailed
from services.platform import catalog_ttl, html

FIELDS = ("title", "description", "category", "tags", "product_ids", "external_url", "duration", "is_published",
          "is_featured")


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationFailed.for_field("externalUrl", "An external video URL must be an absolute https URL",
                                         reason="video_url_not_https")
    return url


def _check_products(product_ids: list[str]) -> list[str]:
    ids = list(dict.fromkeys(product_ids))
    found = {pid for (pid,) in Product.select(Product.id).where(Product.id.in_(ids)).tuples()} if ids else set()
    missing = [pid for pid in ids if pid not in found]
    if missing:
        raise ValidationFailed.for_field("productIds", f"Unknown products: {', '.join(missing)[:200]}",
                                         reason="video_product_not_found")
    return ids


def _tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))


def _link_products(video_id: str, product_ids: list[str]) -> None:
    VideoProduct.delete().where(VideoProduct.video == video_id).execute()
    if product_ids:
        VideoProduct.insert_many([{"video": video_id, "product": pid, "position": n}
                                  for n, pid in enumerate(product_ids)]).execute()


def create_video(user: User, data: dict, file: bytes | None, thumbnail: bytes | None) -> Video:
    """A new video by `user` from `data` `{"title", "description"?, "category", "tags"?,
    "product_ids"?, "external_url"?, "duration"? (seconds), "is_published"?, "is_featured"?}`,
    the uploaded video `file` and `thumbnail` bytes (None: not sent). Raises ValidationFailed
    (422, reasons in the module docstring and video_uploads'), VideoFileTooLarge (413),
    VideoFileUnsupported / UnsupportedImageType (415)."""
    url = data.get("external_url")
    if file is None and not url:
        raise ValidationFailed.for_field("file", "Send the video as the multipart field 'file', or an externalUrl",
                                         reason="video_source_required")
    if file is not None and url:
        raise ValidationFailed.for_field("externalUrl", "Send either a file or an externalUrl, not both",
                                         reason="video_source_conflict")
    category = check_category(data["category"])
    product_ids = _check_products(data.get("product_ids") or [])
    checked = video_uploads.check_video_file(file, data.get("duration")) if file is not None else None
    thumb = video_uploads.clean_thumbnail(thumbnail) if thumbnail is not None else None
    video_id, now = new_id("vid"), utcnow()
    video = Video(id=video_id, title=html.plain_text(data["title"])[:200] or "Untitled", creator=user.id,
                  description=html.sanitize_html(data.get("description") or ""), category=category,
                  tags=_tags(data.get("tags") or []), external_url=_check_url(url) if url else None,
                  duration=checked.duration if checked else data.get("duration"),
                  is_published=bool(data.get("is_published", False)), is_featured=bool(data.get("is_featured", False)),
                  created_at=now, updated_at=now)
    try:
        if checked is not None:
            video.video_file = video_uploads.store(video_id, checked.data, checked.extension)
            video.content_type, video.file_bytes = checked.content_type, len(checked.data)
        if thumb is not None:
            video.thumbnail = video_uploads.store(video_id, *thumb)
        with atomic():
            catalog_ttl.invalidate_after_commit()  # the cached homepage sections
            video.save(force_insert=True)
            _link_products(video_id, product_ids)
    except BaseException:
        shutil.rmtree(video_uploads.folder(video_id), ignore_errors=True)
        raise
    return video


def editable_video(user: User, video_id: str) -> Video:
    """The video if `user` may change it. Raises NotFound (404 `video_not_found`: unknown, or
    unpublished and not theirs), NotAllowed (403 `video_not_editable`: someone else's)."""
    video = get_video(video_id, user)
    if not may_edit(video, user):
        raise NotAllowed("Only the video's creator or an admin may change it", reason="video_not_editable")
    return video


def update_video(user: User, video_id: str, data: dict) -> Video:
    """Change the given fields (FIELDS, as `create_video` takes them; `product_ids` replaces the
    links). `external_url` only for an external video and `duration` only for one (an upload's
    comes from its file): else 422 `video_source_conflict`. Raises as `editable_video`,
    ValidationFailed (422)."""
    video = editable_video(user, video_id)
    changes: dict = {}
    if "title" in data:
        changes["title"] = html.plain_text(data["title"])[:200] or "Untitled"
    if "description" in data:
        changes["description"] = html.sanitize_html(data["description"] or "")
    if "category" in data:
        changes["category"] = check_category(data["category"])
    if "tags" in data:
        changes["tags"] = _tags(data["tags"])
    for key, name in (("external_url", "externalUrl"), ("duration", "duration")):
        if key in data and video.video_file:
            raise ValidationFailed.for_field(name, f"An uploaded video's {name} comes from its file",
                                             reason="video_source_conflict")
    if data.get("external_url"):
        changes["external_url"] = _check_url(data["external_url"])
    if "duration" in data:
        changes["duration"] = data["duration"]
    for key in ("is_published", "is_featured"):
        if key in data:
            changes[key] = bool(data[key])
    product_ids = _check_products(data["product_ids"]) if "product_ids" in data else None
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        Video.update(updated_at=utcnow(), **changes).where(Video.id == video.id).execute()
        if product_ids is not None:
            _link_products(video.id, product_ids)
    return Video.get_by_id(video.id)


def delete_video(user: User, video_id: str) -> None:
    """Delete the video with its likes, comments and links (cascades), then its files. Raises as
    `editable_video`."""
    video = editable_video(user, video_id)
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        Video.delete().where(Video.id == video.id).execute()
    shutil.rmtree(video_uploads.folder(video.id), ignore_errors=True)
