"""Earn projects (seed 002 Projects): staff create and change them; customers list the ones they
can still complete.

A project's reward is `reward_amount` x `bonus_permille` / 1000, rounded down (minor units of
its currency, the shop's `CURRENCY`). Requirements by type (models.earn.TYPES): `text` may set
`min_words`; `video` may set `min_duration_seconds`; `visit` must set the location (lat, lng,
radius km); `photo` none of those. Any type may name `products` (then a submission names one).
A requirement that does not fit the type is 422 `project_requirements_invalid`.

Available to a user (`list_available`): active, not past `expires_at`, with budget left for one
more reward (budget - spent - reserved >= reward), and fewer pending or approved submissions of
theirs than `max_per_user`. Visit projects: with the caller's `lat`/`lng`, only those whose
radius contains them (haversine, services.wallet.geo); without, they are listed with
`location.withinRadius` null (the app asks for the location when the user opens one). The
active projects are filtered in Python (a shop runs tens of projects, not thousands).

Status: staff set active | paused | completed; `completed` is also set when an approval leaves
the budget unable to pay another reward (services.wallet.submissions), and `expired` by the
`expire_earn_projects` maintenance task (every 15 minutes) - reads already treat a project past
`expires_at` as unavailable, so the task only makes the status say so.

Creating a project broadcasts `new_project` (services.platform.user_events) after commit.
"""

from __future__ import annotations

import datetime as dt

import peewee

import config
from models.catalog import Product
from models.db import atomic, is_postgres, isoformat, utcnow
from models.earn import EarnProject, EarnSubmission
from models.jobs import Job
from services.errors import NotFound, ValidationFailed
from services.platform import catalog_ttl, user_events
from services.wallet.geo import distance_km

LIVE_SUBMISSIONS = ("pending", "approved")
STAFF_STATUSES = ("active", "paused", "completed")
FIELDS = ("title", "description", "category", "type", "min_words", "min_duration_seconds", "location_lat",
          "location_lng", "location_radius_km", "location_name", "products", "reward_amount", "bonus_permille",
          "max_per_user", "total_budget", "expires_at", "status")


def reward_of(project: EarnProject) -> int:
    """The reward one approved submission earns, minor units: amount x bonus, rounded down."""
    return project.reward_amount * project.bonus_permille // 1000


def budget_left(project: EarnProject) -> int | None:
    """Minor units neither spent nor reserved; None for an unlimited budget."""
    if project.total_budget is None:
        return None
    return project.total_budget - project.budget_spent - project.budget_reserved


def get_project(project_id: str) -> EarnProject:
    """Raises NotFound (404 `project_not_found`)."""
    project = EarnProject.get_or_none(EarnProject.id == project_id)
    if project is None:
        raise NotFound("Project not found", reason="project_not_found")
    return project


def _check(values: dict, now: dt.datetime, creating: bool) -> None:
    """Raises ValidationFailed (422 `project_requirements_invalid`, `project_invalid_dates`)."""
    kind = values["type"]
    location = [values.get(k) for k in ("location_lat", "location_lng", "location_radius_km")]
    if kind == "visit" and None in location:
        raise ValidationFailed.for_field("requirements.location", "A visit project needs lat, lng and radiusKm",
                                         reason="project_requirements_invalid")
    if kind != "visit" and any(v is not None for v in location):
        raise ValidationFailed.for_field("requirements.location", "Only visit projects have a location",
                                         reason="project_requirements_invalid")
    if values.get("min_words") is not None and kind != "text":
        raise ValidationFailed.for_field("requirements.minWords", "Only text projects count words",
                                         reason="project_requirements_invalid")
    if values.get("min_duration_seconds") is not None and kind != "video":
        raise ValidationFailed.for_field("requirements.minDuration", "Only video projects have a duration",
                                         reason="project_requirements_invalid")
    products = values.get("products") or []
    if products:
        found = {p.id for p in Product.select(Product.id).where(Product.id.in_(products))}
        missing = [p for p in products if p not in found]
        if missing:
            raise ValidationFailed.for_field("requirements.products", f"Unknown products: {', '.join(missing[:5])}",
                                             reason="project_requirements_invalid")
    expires = values.get("expires_at")
    if expires is not None and expires <= now and (creating or values.get("status") == "active"):
        raise ValidationFailed.for_field("limits.expiryDate", "The expiry date must be in the future",
                                         reason="project_invalid_dates")


def create_project(values: dict, staff_id: str) -> EarnProject:
    """Create an active project from `values` (FIELDS; money minor units of the shop currency,
    `bonus_permille` 1000-10000, `location_radius_km` km, `min_duration_seconds` seconds) and
    broadcast `new_project`. Raises ValidationFailed (422 `project_requirements_invalid`,
    `project_invalid_dates`)."""
    values = {k: values[k] for k in FIELDS if k in values}
    values.setdefault("status", "active")
    values["products"] = list(dict.fromkeys(values.get("products") or []))
    _check(values, utcnow(), creating=True)
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        project = EarnProject.create(currency=config.get().currency, created_by=staff_id, **values)
        user_events.publish_broadcast_event("new_project", {
            "id": project.id, "title": project.title, "category": project.category, "type": project.type,
            "reward": reward_of(project), "currency": project.currency, "expiresAt": isoformat(project.expires_at)})
    return project


def update_project(project_id: str, values: dict) -> EarnProject:
    """Change the given FIELDS of a project (`status`: active | paused | completed). The budget
    cannot go below what is spent and reserved. Raises NotFound (404 `project_not_found`),
    ValidationFailed (422 `project_requirements_invalid`, `project_invalid_dates`,
    `project_budget_exhausted`)."""
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        project = locked_project(project_id)
        changes = {k: values[k] for k in FIELDS if k in values}
        if "products" in changes:
            changes["products"] = list(dict.fromkeys(changes["products"] or []))
        merged = {k: getattr(project, k) for k in FIELDS} | changes
        _check(merged, utcnow(), creating=False)
        budget = merged["total_budget"]
        if budget is not None and budget < project.budget_spent + project.budget_reserved:
            raise ValidationFailed.for_field("limits.totalBudget",
                                             f"At least {project.budget_spent + project.budget_reserved} is "
                           "spent or reserved", reason="project_budget_exhausted")
        EarnProject.update(updated_at=utcnow(), **changes).where(EarnProject.id == project.id).execute()
    return get_project(project_id)


def locked_project(project_id: str) -> EarnProject:
    """The project row, locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    query = EarnProject.select().where(EarnProject.id == project_id)
    project = (query.for_update() if is_postgres() else query).get_or_none()
    if project is None:
        raise NotFound("Project not found", reason="project_not_found")
    return project


def live_count(project_id: str, user_id: str) -> int:
    """The user's pending and approved submissions of the project."""
    return EarnSubmission.select().where(EarnSubmission.project == project_id, EarnSubmission.user == user_id,
                                         EarnSubmission.status.in_(LIVE_SUBMISSIONS)).count()


def is_open(project: EarnProject, now: dt.datetime) -> bool:
    """Active, not expired, and budget left for one more reward."""
    left = budget_left(project)
    return project.status == "active" and (project.expires_at is None or project.expires_at > now) \
        and (left is None or left >= reward_of(project))


def list_available(user_id: str, lat: float | None = None, lng: float | None = None, filters: dict | None = None,
                   page: int = 1, limit: int = 20) -> tuple[list[tuple[EarnProject, float | None]], int]:
    """The projects `user_id` can complete now (module docstring), soonest expiry first, then
    newest: `([(project, distance km or None)], total)`. `filters`: `category`, `type`."""
    filters = filters or {}
    now = utcnow()
    query = EarnProject.select().where(EarnProject.status == "active",
                                       (EarnProject.expires_at.is_null()) | (EarnProject.expires_at > now))
    for name in ("category", "type"):
        if filters.get(name):
            query = query.where(getattr(EarnProject, name) == filters[name])
    used = dict(EarnSubmission.select(EarnSubmission.project, peewee.fn.COUNT(EarnSubmission.id)).where(
        EarnSubmission.user == user_id, EarnSubmission.status.in_(LIVE_SUBMISSIONS)).group_by(
        EarnSubmission.project).tuples())
    found = []
    for project in query.order_by(EarnProject.expires_at.is_null(), EarnProject.expires_at,
                                  EarnProject.created_at.desc()):
        if not is_open(project, now) or used.get(project.id, 0) >= project.max_per_user:
            continue
        distance = None
        if project.type == "visit" and lat is not None and lng is not None:
            distance = distance_km(lat, lng, project.location_lat, project.location_lng)
            if distance > project.location_radius_km:
                continue
        found.append((project, distance))
    start = (page - 1) * limit
    return found[start:start + limit], len(found)


def project_view(project: EarnProject, user_id: str | None = None, distance: float | None = None,
                 staff: bool = False) -> dict:
    """A project (seed 002 shape): `{"id", "title", "description", "category", "type",
    "requirements": {"minWords", "minDuration" (s), "location": {"lat", "lng", "radiusKm", "name",
    "distanceKm", "withinRadius"} | null, "products"}, "reward": {"amount", "currency",
    "bonusMultiplier", "total"} (minor units), "limits": {"maxCompletions", "totalBudget",
    "expiryDate"}, "status", "completions", "yourCompletions" (with `user_id`), "budget":
    {"spent", "reserved", "left"} (staff only, else null), "createdAt", "updatedAt"}`."""
    location = None
    if project.type == "visit":
        location = {"lat": project.location_lat, "lng": project.location_lng, "radiusKm": project.location_radius_km,
                    "name": project.location_name,
                    "distanceKm": round(distance, 3) if distance is not None else None,
                    "withinRadius": (distance <= project.location_radius_km) if distance is not None else None}
    return {
        "id": project.id, "title": project.title, "description": project.description,
        "category": project.category, "type": project.type,
        "requirements": {"minWords": project.min_words, "minDuration": project.min_duration_seconds,
                         "location": location, "products": list(project.products or [])},
        "reward": {"amount": project.reward_amount, "currency": project.currency,
                   "bonusMultiplier": project.bonus_permille / 1000, "total": reward_of(project)},
        "limits": {"maxCompletions": project.max_per_user, "totalBudget": project.total_budget,
                   "expiryDate": isoformat(project.expires_at)},
        "status": project.status, "completions": project.completions,
        "yourCompletions": live_count(project.id, user_id) if user_id else None,
        "budget": {"spent": project.budget_spent, "reserved": project.budget_reserved, "left": budget_left(project)}
        if staff else None,
        "createdAt": isoformat(project.created_at), "updatedAt": isoformat(project.updated_at),
    }


def open_projects(limit: int = 8) -> list[EarnProject]:
    """Projects anyone could start now (the homepage's `earn_projects` for guests): active, not
    expired, with budget left for one more reward (`is_open`), soonest expiry first, then newest;
    at most `limit`. Per-user limits and locations are the signed-in list's (`list_available`)."""
    now = utcnow()
    query = EarnProject.select().where(EarnProject.status == "active",
                                       (EarnProject.expires_at.is_null()) | (EarnProject.expires_at > now))
    found = []
    for project in query.order_by(EarnProject.expires_at.is_null(), EarnProject.expires_at,
                                  EarnProject.created_at.desc()):
        if is_open(project, now):
            found.append(project)
            if len(found) == limit:
                break
    return found


def list_projects(status: str | None, page: int, limit: int) -> tuple[list[EarnProject], int]:
    """Every project (staff), newest first, optionally of one status: `(rows, total)`."""
    query = EarnProject.select()
    if status:
        query = query.where(EarnProject.status == status)
    return list(query.order_by(EarnProject.created_at.desc(), EarnProject.id).paginate(page, limit)), query.count()


def expire_projects(job: Job, ctx, now: dt.datetime) -> dict:
    """Maintenance task `expire_earn_projects`: active or paused projects past `expires_at` ->
    `expired` (one conditional UPDATE; running it twice changes nothing). Returns `{"expired": n}`."""
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        count = EarnProject.update(status="expired", updated_at=now).where(
            EarnProject.status.in_(("active", "paused")), EarnProject.expires_at.is_null(False),
            EarnProject.expires_at <= now).execute()
    return {"expired": count}
