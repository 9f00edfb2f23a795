"""Saved searches per signed-in user, and the popular searches rolled up per day (models.search).

`save_search(user, query, filters)` records one search the caller ran (the client calls
`POST /api/v1/search/save` when a shopper runs or saves a search): a `SearchLog` row for their
history and +1 on today's `SearchQueryDay` row of the normalised query (an upsert).
`popular_searches(days)` sums the rollup over the last `days` UTC days (today included): the
most saved normalised queries first. The history is private; the rollup is an anonymous
count and survives a cleared history.
"""

from __future__ import annotations

import datetime as dt
import re

from peewee import fn

from models.db import atomic, utcnow
from models.search import MAX_QUERY_LENGTH, SearchLog, SearchQueryDay
from models.users import User
from services.errors import ValidationFailed

DEFAULT_POPULAR_DAYS = 7
_SPACES = re.compile(r"\s+")


def normalize_query(query: str) -> str:
    """`"  Red   ROSES "` -> `"red roses"`: lower case, runs of white space as one space, trimmed."""
    return _SPACES.sub(" ", query).strip().lower()[:MAX_QUERY_LENGTH]


def save_search(user: User, query: str, filters: dict | None = None) -> SearchLog:
    """Record `query` (<= 200 characters, checked by the caller) with its `filters` (camelCase
    query parameters) in `user`'s history and in today's popular-search rollup; returns the row.
    Raises ValidationFailed (422 `invalid_search_query`, field `q`) when it is blank."""
    normalized = normalize_query(query)
    if not normalized:
        raise ValidationFailed("The search query is blank", reason="invalid_search_query",
                               details=[{"field": "q", "message": "Must contain a search term"}])
    now = utcnow()
    with atomic():
        row = SearchLog.create(user=user.id, query=query.strip(), normalized=normalized, filters=filters or {},
                               created_at=now)
        (SearchQueryDay.insert(normalized=normalized, day=now.date(), searches=1)
         .on_conflict(conflict_target=[SearchQueryDay.normalized, SearchQueryDay.day],
                      update={SearchQueryDay.searches: SearchQueryDay.searches + 1})
         .execute())
    return row


def search_history(user: User, page: int = 1, limit: int = 20) -> tuple[list[SearchLog], int]:
    """A page of `user`'s saved searches, newest first, and their total: `(rows, total)`."""
    query = SearchLog.select().where(SearchLog.user == user.id)
    rows = list(query.order_by(SearchLog.created_at.desc(), SearchLog.id.desc()).paginate(page, limit))
    total = len(rows) if page == 1 and len(rows) < limit else query.count()
    return rows, total


def clear_history(user: User) -> int:
    """Delete every saved search of `user`; returns how many there were (the rollup keeps its counts)."""
    return SearchLog.delete().where(SearchLog.user == user.id).execute()


def popular_searches(days: int = DEFAULT_POPULAR_DAYS, limit: int = 10, prefix: str | None = None) -> list[dict]:
    """`[{"query": normalised query, "count": saves}]` over the last `days` UTC days (today
    included), most saved first (ties by query), at most `limit`; only queries starting with
    `prefix` (normalised) when given."""
    since = utcnow().date() - dt.timedelta(days=max(1, days) - 1)
    total = fn.SUM(SearchQueryDay.searches)
    query = SearchQueryDay.select(SearchQueryDay.normalized, total.alias("count")).where(SearchQueryDay.day >= since)
    if prefix is not None:
        start = normalize_query(prefix)
        if not start:
            return []
        query = query.where(fn.SUBSTR(SearchQueryDay.normalized, 1, len(start)) == start)
    rows = query.group_by(SearchQueryDay.normalized).order_by(total.desc(), SearchQueryDay.normalized).limit(limit)
    return [{"query": q, "count": int(c)} for q, c in rows.tuples()]
