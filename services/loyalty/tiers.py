"""Loyalty tiers (seed 003 LoyaltyTier, seed 001 membershipTier): the admin-managed list, the
tier a customer's lifetime points reach, and the recalculation job.

Rules:

- a tier's `name` is a lower-case slug (`^[a-z][a-z0-9-]{0,29}$`: bronze, silver, gold,
  platinum, or the shop's own), UNIQUE (409 `tier_name_taken`; 422 `invalid_tier_name`);
- `minPoints` is the lifetime points earned that reach it, 0-100 000 000, UNIQUE among tiers
  (409 `tier_min_points_taken`: two tiers at one threshold would make the tier ambiguous);
- `multiplier` multiplies the points a purchase earns, 1.0-10.0 with at most 3 decimals,
  stored as an integer per mille (`multiplier_permille` 1250 = x1.25; 422
  `invalid_tier_multiplier`);
- `benefits`: at most 20 strings of 1-200 characters (422 `invalid_tier_benefits`);
- the base tier `bronze` (minPoints 0, active) always exists: it cannot be deleted (409
  `base_tier_required`), renamed, moved off 0 or deactivated (422 `base_tier_required`), so every
  account is in some tier;
- an inactive tier is kept but reaches nobody.

A customer's tier is the highest active tier whose minPoints <= their `lifetime_earned` (every
point ever earned, less the points of reversed orders; spending or expiry never demotes). It is
stored on the account (`LoyaltyAccount.tier`) and recomputed on every earn and reversal
(services.loyalty.ledger). Every tier write (create, update, delete) also writes, in its own
transaction, a `maintenance` job `{"task": "loyalty_tiers"}` that recomputes every account
(`recalculate_tiers`): idempotent (conditional UPDATEs, one per tier), and serialised by
locking the tier rows, so the last job to run reads the last tier change.

Defaults (`DEFAULT_TIERS`, written by migration 0027 and again on first use when the table is
empty): bronze 0 x1.0, silver 1000 x1.25, gold 5000 x1.5, platinum 15000 x2.0; with 1 point per
whole currency unit spent that is silver after 1 000.00 spent, gold after 5 000.00 and platinum
after 15 000.00 (thresholds and multipliers in the range of Smile.io's VIP examples).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import peewee

from models.db import atomic, is_postgres, isoformat, new_id, utcnow
from models.jobs import Job
from models.loyalty import BASE_TIER, LoyaltyAccount, LoyaltyTier
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import jobs

RECALCULATION_TASK = "loyalty_tiers"  # the services.maintenance task name
NAME = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
MAX_MIN_POINTS = 100_000_000
MIN_PERMILLE, MAX_PERMILLE = 1000, 10_000  # x1.0 - x10.0
MAX_BENEFITS, MAX_BENEFIT_LENGTH = 20, 200

DEFAULT_TIERS = [  # name, minPoints, multiplier (per mille), benefits
    ("bronze", 0, 1000, ["1 point per whole unit spent", "Points for approved reviews and a completed profile"]),
    ("silver", 1000, 1250, ["1.25x points on purchases"]),
    ("gold", 5000, 1500, ["1.5x points on purchases"]),
    ("platinum", 15000, 2000, ["2x points on purchases"]),
]


# --------------------------------------------------------------------------- reads

def ensure_default_tiers() -> None:
    """Write DEFAULT_TIERS when there is no tier at all (a database whose tiers were never
    seeded, or truncated); concurrent callers are harmless (`ON CONFLICT DO NOTHING`)."""
    if LoyaltyTier.select().exists():
        return
    now = utcnow()
    rows = [{"id": new_id("tier"), "name": name, "min_points": min_points, "multiplier_permille": permille,
             "benefits": benefits, "is_active": True, "created_at": now, "updated_at": now}
            for name, min_points, permille, benefits in DEFAULT_TIERS]
    with atomic():
        LoyaltyTier.insert_many(rows).on_conflict_ignore().execute()


def list_tiers(include_inactive: bool = False) -> list[LoyaltyTier]:
    """The tiers by ascending minPoints (only the active ones unless `include_inactive`); the
    defaults are written first when there are none (the base tier is always active, so an empty
    answer means no tier at all)."""
    query = LoyaltyTier.select()
    if not include_inactive:
        query = query.where(LoyaltyTier.is_active == True)  # noqa: E712
    tiers = list(query.order_by(LoyaltyTier.min_points))
    if not tiers:
        ensure_default_tiers()
        tiers = list(query.order_by(LoyaltyTier.min_points))
    return tiers


def active_tiers() -> list[LoyaltyTier]:
    """The active tiers by ascending minPoints (never empty: the base tier is always active)."""
    return list_tiers()


def tier_for_points(lifetime_earned: int, tiers: list[LoyaltyTier] | None = None) -> LoyaltyTier:
    """The highest of the active `tiers` (default: `active_tiers()`) whose minPoints <=
    `lifetime_earned`; the lowest one when none is (cannot happen while bronze is at 0)."""
    tiers = tiers if tiers is not None else active_tiers()
    reached = [tier for tier in tiers if tier.min_points <= lifetime_earned]
    return reached[-1] if reached else tiers[0]


def next_tier(lifetime_earned: int, tiers: list[LoyaltyTier] | None = None) -> LoyaltyTier | None:
    """The lowest active tier above `lifetime_earned` points, or None at the top."""
    tiers = tiers if tiers is not None else active_tiers()
    return next((tier for tier in tiers if tier.min_points > lifetime_earned), None)


def multiplier_text(permille: int) -> str:
    """A multiplier per mille as customers read it: 1000 -> "1", 1250 -> "1.25"."""
    return f"{permille / 1000:g}"


def tier_view(tier: LoyaltyTier) -> dict:
    """`{"id", "name", "minPoints", "multiplier" (a number, 1.0-10.0), "benefits" [str], "isActive",
    "createdAt", "updatedAt"}` (seed 003 LoyaltyTier)."""
    return {"id": tier.id, "name": tier.name, "minPoints": tier.min_points,
            "multiplier": tier.multiplier_permille / 1000, "benefits": list(tier.benefits or []),
            "isActive": bool(tier.is_active), "createdAt": isoformat(tier.created_at),
            "updatedAt": isoformat(tier.updated_at)}


def get_tier(tier_id: str) -> LoyaltyTier:
    """The tier with `tier_id`. Raises NotFound (404 `tier_not_found`)."""
    tier = LoyaltyTier.get_or_none(LoyaltyTier.id == tier_id)
    if tier is None:
        raise NotFound("Loyalty tier not found", reason="tier_not_found")
    return tier


# --------------------------------------------------------------------------- writes

def permille_of(multiplier) -> int:
    """A multiplier (int, float, Decimal or numeric string: 1.25) as an integer per mille (1250).
    Raises ValidationFailed (422 `invalid_tier_multiplier`) outside 1.0-10.0 or with more than
    3 decimals."""
    try:
        value = Decimal(str(multiplier)) if not isinstance(multiplier, bool) else None
    except InvalidOperation:
        value = None
    permille = value * 1000 if value is not None and value.is_finite() else None
    if permille is None or permille != permille.to_integral_value() \
            or not MIN_PERMILLE <= permille <= MAX_PERMILLE:
        raise ValidationFailed.for_field("multiplier", "A multiplier from 1.0 to 10.0 with at most 3 decimals",
                                         reason="invalid_tier_multiplier")
    return int(permille)


def _clean(fields: dict) -> dict:
    """Validate `fields` (service names: name, min_points, multiplier, benefits, is_active; each
    optional) into column values."""
    clean = {}
    if "name" in fields:
        name = (fields["name"] or "").strip().lower()
        if not NAME.match(name):
            raise ValidationFailed.for_field("name",
                                             "A lower-case slug of 1-30 letters, digits and -, starting with a letter",
                                             reason="invalid_tier_name")
        clean["name"] = name
    if "min_points" in fields:
        points = fields["min_points"]
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_MIN_POINTS:
            raise ValidationFailed.for_field("minPoints", f"An integer from 0 to {MAX_MIN_POINTS}",
                                             reason="invalid_tier_min_points")
        clean["min_points"] = points
    if "multiplier" in fields:
        clean["multiplier_permille"] = permille_of(fields["multiplier"])
    if "benefits" in fields:
        benefits = fields["benefits"] if fields["benefits"] is not None else []
        if not isinstance(benefits, (list, tuple)) or len(benefits) > MAX_BENEFITS or any(
                not isinstance(b, str) or not 1 <= len(b.strip()) <= MAX_BENEFIT_LENGTH for b in benefits):
            raise ValidationFailed.for_field("benefits",
                                             f"At most {MAX_BENEFITS} texts of 1-{MAX_BENEFIT_LENGTH} characters",
                                             reason="invalid_tier_benefits")
        clean["benefits"] = [b.strip() for b in benefits]
    if "is_active" in fields:
        clean["is_active"] = bool(fields["is_active"])
    return clean


def _check_unique(clean: dict, tier_id: str | None) -> None:
    others = LoyaltyTier.select()
    if tier_id is not None:
        others = others.where(LoyaltyTier.id != tier_id)
    if "name" in clean and others.where(LoyaltyTier.name == clean["name"]).exists():
        raise Conflict(f"A tier named {clean['name']!r} exists", reason="tier_name_taken",
                       details=[{"field": "name", "message": "Already used by another tier"}])
    if "min_points" in clean and others.where(LoyaltyTier.min_points == clean["min_points"]).exists():
        raise Conflict(f"Another tier starts at {clean['min_points']} points", reason="tier_min_points_taken",
                       details=[{"field": "minPoints", "message": "Already used by another tier"}])


def _conflict_of(error: peewee.IntegrityError) -> Conflict:
    """The 409 of a concurrent write that took the same name or threshold first."""
    text = str(error).lower()
    if "min_points" in text:
        return Conflict("Another tier starts at these points", reason="tier_min_points_taken")
    return Conflict("A tier with this name exists", reason="tier_name_taken")


def schedule_recalculation(reason: str, owner_id: str | None = None) -> Job:
    """Write the `maintenance` job `{"task": "loyalty_tiers", "reason"}` that recomputes every
    account's tier (call inside the transaction of the tier change; it is dispatched after
    commit). Returns the job."""
    return jobs.create_job("maintenance", {"task": RECALCULATION_TASK, "reason": reason[:200]}, owner_id=owner_id)


def create_tier(fields: dict, actor_id: str | None = None) -> tuple[LoyaltyTier, Job]:
    """Create a tier from `fields` (name and minPoints required; multiplier default 1.0, benefits
    [], is_active true; see the module rules). Returns (tier, recalculation job). Raises
    ValidationFailed (422: invalid_tier_name, invalid_tier_min_points, invalid_tier_multiplier,
    invalid_tier_benefits), Conflict (409: tier_name_taken, tier_min_points_taken)."""
    if "name" not in fields:
        raise ValidationFailed.for_field("name", "Required", reason="invalid_tier_name")
    if "min_points" not in fields:
        raise ValidationFailed.for_field("minPoints", "Required", reason="invalid_tier_min_points")
    clean = _clean({"multiplier": 1, "benefits": [], "is_active": True, **fields})
    ensure_default_tiers()
    try:
        with atomic():
            _check_unique(clean, None)
            now = utcnow()
            tier = LoyaltyTier.create(**clean, created_at=now, updated_at=now)
            job = schedule_recalculation(f"tier {tier.name} created", actor_id)
    except peewee.IntegrityError as error:
        raise _conflict_of(error) from None
    return tier, job


def update_tier(tier_id: str, fields: dict, actor_id: str | None = None) -> tuple[LoyaltyTier, Job]:
    """Change the given fields of a tier (see `create_tier`). The base tier keeps its name,
    minPoints 0 and is_active (422 `base_tier_required`). Returns (tier, recalculation job).
    Raises NotFound (404 `tier_not_found`), ValidationFailed (422), Conflict (409)."""
    clean = _clean(fields)
    try:
        with atomic():
            tier = _locked(tier_id)
            if tier.name == BASE_TIER and (clean.get("name", BASE_TIER) != BASE_TIER
                                           or clean.get("min_points", 0) != 0 or clean.get("is_active") is False):
                raise ValidationFailed.for_field("name",
                                                 "The base tier bronze keeps its name, minPoints 0 and stays active",
                                                 reason="base_tier_required")
            _check_unique(clean, tier.id)
            LoyaltyTier.update(**clean, updated_at=utcnow()).where(LoyaltyTier.id == tier.id).execute()
            job = schedule_recalculation(f"tier {tier.name} updated", actor_id)
    except peewee.IntegrityError as error:
        raise _conflict_of(error) from None
    return LoyaltyTier.get_by_id(tier.id), job


def delete_tier(tier_id: str, actor_id: str | None = None) -> Job:
    """Delete a tier other than the base tier; its accounts move to the tier their points reach
    now (at once for the next earn, for everyone by the recalculation job). Returns the
    recalculation job. Raises NotFound (404 `tier_not_found`), Conflict (409 `base_tier_required`)."""
    with atomic():
        tier = _locked(tier_id)
        if tier.name == BASE_TIER:
            raise Conflict("The base tier bronze cannot be deleted", reason="base_tier_required")
        LoyaltyTier.delete().where(LoyaltyTier.id == tier.id).execute()
        return schedule_recalculation(f"tier {tier.name} deleted", actor_id)


def _locked(tier_id: str) -> LoyaltyTier:
    query = LoyaltyTier.select().where(LoyaltyTier.id == tier_id)
    tier = (query.for_update() if is_postgres() else query).first()
    if tier is None:
        raise NotFound("Loyalty tier not found", reason="tier_not_found")
    return tier


# --------------------------------------------------------------------------- recalculation

def recalculate_tiers(job: Job, ctx, now: dt.datetime) -> dict:
    """Maintenance task `loyalty_tiers`: set every account's `tier` to the tier its
    `lifetime_earned` reaches under the current active tiers, with one conditional UPDATE per
    tier (`... WHERE lifetime_earned in [min, next min) AND tier <> name`) in one transaction
    that first locks the tier rows (`FOR UPDATE` on PostgreSQL; SQLite's write lock), so
    concurrent runs apply one after the other and a re-run changes nothing.
    Result: `{"tiers": [names], "accounts": n, "changed": n}`."""
    ensure_default_tiers()
    with atomic():
        query = LoyaltyTier.select().order_by(LoyaltyTier.id)
        rows = list(query.for_update() if is_postgres() else query)
        tiers = sorted((t for t in rows if t.is_active), key=lambda t: t.min_points)
        changed = 0
        for index, tier in enumerate(tiers):
            conditions = [LoyaltyAccount.tier != tier.name]
            if index:  # the lowest tier also takes any account below it
                conditions.append(LoyaltyAccount.lifetime_earned >= tier.min_points)
            if index + 1 < len(tiers):
                conditions.append(LoyaltyAccount.lifetime_earned < tiers[index + 1].min_points)
            changed += LoyaltyAccount.update(tier=tier.name, updated_at=now).where(*conditions).execute()
        accounts = LoyaltyAccount.select().count()
    ctx.progress(len(tiers), len(tiers), f"{changed} of {accounts} account(s) changed tier")
    return {"tiers": [t.name for t in tiers], "accounts": accounts, "changed": changed}

