"""Reading shoppable videos: who sees which, the list with its filters, and the video views.

A published video is public. An unpublished one is seen (and listed) only by those who may
edit it: its creator and admins (`may_edit`); anyone else gets 404 `video_not_found`.

Counters in a view are the stored ones plus what the view/share buffer has not flushed yet
(services.content.video_counters). A detail view lists the linked products with their current
price and stock, read through services.catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.catalog import Product
from models.db import isoformat
from models.users import User
from models.videos import Video, VideoLike, VideoProduct
from services import catalog
from services.content import video_counters
from services.content.video_categories import category_name
from services.errors import NotFound

ORDERS = ("newest", "popular")
# The roles of the permissions `videos:create`, `videos:manage` and `videos:moderate`
# (services.customers.permissions, which this package cannot import: customers imports orders,
# which imports content; tests/services/content keeps them equal).
ROLES = {"videos:create": frozenset({"staff", "admin"}), "videos:manage": frozenset({"admin"}),
         "videos:moderate": frozenset({"staff", "admin"})}


def allowed(user: User | None, permission: str) -> bool:
    """Whether `user` (None: a guest) has the video `permission` (one of ROLES)."""
    return user is not None and user.is_active and user.role in ROLES[permission]


@dataclass(frozen=True)
class VideoFilters:
    """The list's filters (None: any): `category` slug, `tag` (lower-case), `featured`,
    `product_id` (videos showing it), `published` (for callers who also see unpublished videos),
    `order` newest (created, newest first) | popular (stored views, then newest)."""

    category: str | None = None
    tag: str | None = None
    featured: bool | None = None
    product_id: str | None = None
    published: bool | None = None
    order: str = "newest"


def may_edit(video: Video, user: User | None) -> bool:
    """Whether `user` may change `video`: its creator while they may create videos
    (`videos:create`), or anyone with `videos:manage` (admins)."""
    if user is None:
        return False
    if allowed(user, "videos:manage"):
        return True
    return video.creator_id == user.id and allowed(user, "videos:create")


def get_video(video_id: str, user: User | None) -> Video:
    """The video if `user` may see it (module docstring). Raises NotFound (404 `video_not_found`)."""
    video = Video.get_or_none(Video.id == video_id)
    if video is None or not (video.is_published or may_edit(video, user)):
        raise NotFound("Video not found", reason="video_not_found")
    return video


def _visible(user: User | None):
    """The WHERE clause of the videos `user` sees."""
    if user is not None and allowed(user, "videos:manage"):
        return True
    if user is not None and allowed(user, "videos:create"):
        return (Video.is_published == True) | (Video.creator == user.id)  # noqa: E712
    return Video.is_published == True  # noqa: E712


def list_videos(user: User | None, filters: VideoFilters, page: int, limit: int) -> tuple[list[Video], int]:
    """One page of the videos `user` sees matching `filters`, and their total."""
    query = Video.select().where(_visible(user))
    if filters.category is not None:
        query = query.where(Video.category == filters.category)
    if filters.tag is not None:  # tags are stored as a JSON list of lower-case words without quotes
        query = query.where(Video.tags.cast("text").contains(f'"{filters.tag}"'))
    if filters.featured is not None:
        query = query.where(Video.is_featured == filters.featured)
    if filters.published is not None:
        query = query.where(Video.is_published == filters.published)
    if filters.product_id is not None:
        query = query.where(Video.id.in_(VideoProduct.select(VideoProduct.video)
                                         .where(VideoProduct.product == filters.product_id)))
    total = query.count()
    order = (Video.views.desc(), Video.created_at.desc()) if filters.order == "popular" else (Video.created_at.desc(),)
    rows = list(query.order_by(*order, Video.id.desc()).paginate(page, limit))
    return rows, total


def file_url(video: Video) -> str:
    return f"/api/v1/videos/{video.id}/file"


def thumbnail_url(video: Video) -> str:
    return f"/api/v1/videos/{video.id}/thumbnail"


def _creator(user: User | None) -> dict | None:
    if user is None:
        return None
    name = " ".join(part for part in (user.first_name, (user.last_name[:1] + ".") if user.last_name else "")
                    if part) or "Creator"
    return {"id": user.id, "name": name}


def engagement(video: Video, buffered: dict | None = None) -> dict:
    """`{"views", "likes", "shares", "comments"}`: stored counts plus `buffered` (the video's
    entry of video_counters.buffered, or None to read it now)."""
    extra = buffered if buffered is not None else video_counters.buffered([video.id]).get(video.id, {})
    return {"views": int(video.views) + extra.get("views", 0), "likes": int(video.likes),
            "shares": int(video.shares) + extra.get("shares", 0), "comments": int(video.comments)}


def _product_summaries(product_ids: list[str]) -> dict[str, dict]:
    """Active products by id with their current prices (minor units) and sellable stock."""
    products = list(catalog.with_category(Product.select()).where(Product.id.in_(product_ids),
                                                                  Product.status == "active"))
    out = {}
    for view in catalog.load_views(products):
        p = view.product
        variants = [{"id": v.id, "name": v.name, "price": v.price, "compareAtPrice": v.compare_at_price,
                     "inventoryCount": view.stock.get(v.id, 0), "available": view.stock.get(v.id, 0) > 0}
                    for v in view.variants]
        out[p.id] = {"id": p.id, "name": p.name, "slug": p.handle, "currency": p.currency,
                     "price": min((v["price"] for v in variants), default=p.price),
                     "compareAtPrice": p.compare_at_price, "image": view.images[0].url if view.images else None,
                     "inventoryCount": sum(v["inventoryCount"] for v in variants),
                     "available": any(v["available"] for v in variants), "variants": variants}
    return out


def video_views(videos: list[Video], user: User | None, detail: bool = False) -> list[dict]:
    """API views of `videos` for `user`, in order:

    `{"id", "title", "description" (sanitised HTML), "creator": {"id", "name"} | null,
    "videoUrl" (the served file or the external URL), "source": "upload" | "external",
    "contentType" (uploads), "fileSize" (bytes, uploads), "thumbnail" (URL | null), "category",
    "categoryName", "tags", "productIds", "duration" (seconds | null), "isPublished",
    "isFeatured", "engagement": {"views", "likes", "shares", "comments"}, "liked" (the caller's
    like; false for a guest), "createdAt", "updatedAt"}`; `detail` adds `"products"`: the linked
    active products `[{"id", "name", "slug", "currency", "price", "compareAtPrice", "image",
    "inventoryCount", "available", "variants": [{"id", "name", "price", "compareAtPrice",
    "inventoryCount", "available"}]}]` (money in minor units, stock in sellable units)."""
    ids = [v.id for v in videos]
    if not ids:
        return []
    links: dict[str, list[str]] = {i: [] for i in ids}
    for video_id, product_id in (VideoProduct.select(VideoProduct.video, VideoProduct.product)
                                 .where(VideoProduct.video.in_(ids))
                                 .order_by(VideoProduct.position, VideoProduct.id).tuples()):
        links[video_id].append(product_id)
    liked = set()
    if user is not None:
        liked = {v for (v,) in VideoLike.select(VideoLike.video).where(VideoLike.video.in_(ids),
                                                                        VideoLike.user == user.id).tuples()}
    creators = {u.id: u for u in User.select().where(User.id.in_({v.creator_id for v in videos if v.creator_id}))}
    buffered = video_counters.buffered(ids)
    products = _product_summaries(sorted({p for ps in links.values() for p in ps})) if detail else {}
    out = []
    for video in videos:
        view = {"id": video.id, "title": video.title, "description": video.description,
                "creator": _creator(creators.get(video.creator_id)),
                "videoUrl": file_url(video) if video.video_file else video.external_url,
                "source": "upload" if video.video_file else "external",
                "contentType": video.content_type, "fileSize": video.file_bytes,
                "thumbnail": thumbnail_url(video) if video.thumbnail else None,
                "category": video.category, "categoryName": category_name(video.category),
                "tags": list(video.tags or []), "productIds": links[video.id], "duration": video.duration,
                "isPublished": video.is_published, "isFeatured": video.is_featured,
                "engagement": engagement(video, buffered.get(video.id, {})), "liked": video.id in liked,
                "createdAt": isoformat(video.created_at), "updatedAt": isoformat(video.updated_at)}
        if detail:
            view["products"] = [products[p] for p in links[video.id] if p in products]
        out.append(view)
    return out
