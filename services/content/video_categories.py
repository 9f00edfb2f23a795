"""Video categories (seed 002: `trending_me`, `trending_her`, `waist`, ...): a managed list, the
VIDEO_CATEGORIES setting (comma-separated snake_case slugs, in display order). Changing the
setting never touches videos: one whose category was dropped keeps it (and is still found by
it), but new writes must name a listed one."""

from __future__ import annotations

from peewee import fn

import config
from models.videos import Video
from services.errors import ValidationFailed


def category_name(slug: str) -> str:
    """`trending_her` -> `Trending her` (the display name of a slug)."""
    return slug.replace("_", " ").capitalize()


def check_category(slug: str) -> str:
    """`slug` when it is listed. Raises ValidationFailed (422 `video_category_unknown`)."""
    listed = config.get().video_categories
    if slug not in listed:
        raise ValidationFailed(f"Unknown video category {slug!r}", reason="video_category_unknown",
                               details=[{"field": "category", "message": f"One of {', '.join(listed)}"[:300]}])
    return slug


def list_categories() -> list[dict]:
    """`[{"id": slug, "name", "videoCount": published videos in it}]` in the setting's order."""
    counts = dict(Video.select(Video.category, fn.COUNT(Video.id)).where(Video.is_published == True)  # noqa: E712
                  .group_by(Video.category).tuples())
    return [{"id": slug, "name": category_name(slug), "videoCount": counts.get(slug, 0)}
            for slug in config.get().video_categories]
