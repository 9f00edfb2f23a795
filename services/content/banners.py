"""Homepage banners (seed 002 homepage `banners` section): staff-managed slides.

A banner links to a URL (https, or a storefront path starting with `/`), a product or a category
(by id, checked to exist when written). `active_banners(now)` is what the homepage shows: active
banners whose window [`startsAt`, `endsAt`) holds `now` (UTC; an open end never closes), by
`position` then creation. Every write bumps the catalog cache generation after commit
(services.platform.catalog_ttl), so the cached homepage sections never outlive it.
"""

from __future__ import annotations

import datetime as dt

from models.banners import Banner
from models.catalog import Category, Product
from models.db import atomic, isoformat, utcnow
from services.errors import NotFound, ValidationFailed
from services.platform import catalog_ttl

LINK_TYPES = ("url", "product", "category")
MAX_BANNERS = 100  # the most a homepage (or the staff list) returns


def banner_view(banner: Banner) -> dict:
    """`{id, title, subtitle, imageUrl, linkType, link, position, active, startsAt, endsAt,
    createdAt, updatedAt}` (times ISO-8601 UTC or null)."""
    return {"id": banner.id, "title": banner.title, "subtitle": banner.subtitle, "imageUrl": banner.image_url,
            "linkType": banner.link_type, "link": banner.link, "position": banner.position,
            "active": banner.active, "startsAt": isoformat(banner.starts_at), "endsAt": isoformat(banner.ends_at),
            "createdAt": isoformat(banner.created_at), "updatedAt": isoformat(banner.updated_at)}


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _check_link(link_type: str, link: str) -> None:
    """Raises ValidationFailed (422 `banner_link_invalid`) for a link its type cannot reach."""
    problem = None
    if link_type == "url":
        if not (link.startswith("https://") or (link.startswith("/") and not link.startswith("//"))):
            problem = "an https URL or a storefront path starting with /"
    elif link_type == "product":
        if not Product.select().where(Product.id == link).exists():
            problem = "no such product"
    elif link_type == "category":
        if not Category.select().where(Category.id == link).exists():
            problem = "no such category"
    if problem:
        raise ValidationFailed("Banner link does not resolve", reason="banner_link_invalid",
                               details=[{"field": "link", "message": problem}])


def _apply(banner: Banner, data: dict) -> None:
    for key in ("title", "subtitle", "image_url", "link_type", "link", "position", "active"):
        if key in data:
            setattr(banner, key, data[key])
    for key in ("starts_at", "ends_at"):
        if key in data:
            setattr(banner, key, _naive_utc(data[key]))
    _check_link(banner.link_type, banner.link)
    if banner.starts_at and banner.ends_at and banner.ends_at <= banner.starts_at:
        raise ValidationFailed("A banner must end after it starts", reason="banner_window_reversed",
                               details=[{"field": "endsAt", "message": "must be after startsAt"}])


def create_banner(data: dict, staff_id: str | None) -> Banner:
    """Add a banner. `data`: title, image_url (required), subtitle, link_type (`LINK_TYPES`,
    default url), link, position, active, starts_at, ends_at (aware or naive-UTC datetimes).
    Raises ValidationFailed (422 `banner_link_invalid`, `banner_window_reversed`)."""
    with atomic():
        banner = Banner(created_by=staff_id)
        _apply(banner, {"link_type": "url", "link": "/", **data})
        banner.save(force_insert=True)
        catalog_ttl.invalidate_after_commit()
    return banner


def get_banner(banner_id: str) -> Banner:
    """The banner `banner_id`. Raises NotFound (404 `banner_not_found`)."""
    banner = Banner.get_or_none(Banner.id == banner_id)
    if banner is None:
        raise NotFound("Banner not found", reason="banner_not_found")
    return banner


def update_banner(banner_id: str, data: dict) -> Banner:
    """Change the fields given (as `create_banner`). Raises NotFound, ValidationFailed."""
    with atomic():
        banner = get_banner(banner_id)
        _apply(banner, data)
        banner.updated_at = utcnow()
        banner.save()
        catalog_ttl.invalidate_after_commit()
    return banner


def delete_banner(banner_id: str) -> None:
    """Delete a banner. Raises NotFound."""
    with atomic():
        if not Banner.delete().where(Banner.id == get_banner(banner_id).id).execute():
            raise NotFound("Banner not found", reason="banner_not_found")
        catalog_ttl.invalidate_after_commit()


def list_banners() -> list[Banner]:
    """Every banner (staff), by position then creation; at most `MAX_BANNERS`."""
    return list(Banner.select().order_by(Banner.position, Banner.created_at, Banner.id).limit(MAX_BANNERS))


def active_banners(now: dt.datetime | None = None, limit: int = 10) -> list[Banner]:
    """The banners the homepage shows at `now` (naive UTC; default now), at most `limit`."""
    now = now or utcnow()
    return list(Banner.select().where(
        Banner.active == True,  # noqa: E712 (peewee expression)
        (Banner.starts_at.is_null()) | (Banner.starts_at <= now),
        (Banner.ends_at.is_null()) | (Banner.ends_at > now),
    ).order_by(Banner.position, Banner.created_at, Banner.id).limit(limit))
