"""Loyalty tiers: the defaults, the tier lifetime points reach, the admin rules, the multiplier
on purchase points and the idempotent recalculation of every account."""

from __future__ import annotations

import pytest

from models.loyalty import LoyaltyAccount, LoyaltyTier
from services import loyalty
from services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import quick_user
from tests.services.loyalty.helpers import Ctx, account_of, account_with, ledger_sum, paid_order


def tier_named(name: str) -> LoyaltyTier:
    loyalty.list_tiers()  # the defaults, on first use (PostgreSQL tests start from truncated tables)
    return LoyaltyTier.get(LoyaltyTier.name == name)


def test_the_default_tiers_are_bronze_silver_gold_and_platinum(app):
    LoyaltyTier.delete().execute()  # "on first use": an empty table gets the defaults again
    views = [loyalty.tier_view(t) for t in loyalty.list_tiers()]
    assert [(v["name"], v["minPoints"], v["multiplier"]) for v in views] == [
        ("bronze", 0, 1.0), ("silver", 1000, 1.25), ("gold", 5000, 1.5), ("platinum", 15000, 2.0)]
    assert all(v["isActive"] and v["benefits"] for v in views)


def test_a_customers_tier_is_the_highest_active_tier_their_lifetime_points_reach(app):
    assert [loyalty.tier_for_points(p).name for p in (0, 999, 1000, 4999, 5000, 15000, 10**9)] == [
        "bronze", "bronze", "silver", "silver", "gold", "platinum", "platinum"]
    loyalty.update_tier(tier_named("gold").id, {"is_active": False})
    assert loyalty.tier_for_points(6000).name == "silver"  # an inactive tier reaches nobody
    assert loyalty.next_tier(1200).name == "platinum"
    assert loyalty.next_tier(20_000) is None


def test_purchase_points_are_multiplied_by_the_tier_at_earning_time_and_floored(app):
    user = quick_user()
    account_with(user, 5000)  # gold: x1.5
    line = loyalty.earn_for_order(paid_order(user, 5_999).id)  # 59 base points
    assert line.points == 88  # floor(59 * 1.5)
    assert line.description.endswith(": 59 points x1.5 (gold tier)")
    account = account_of(user)
    assert (account.points_balance, account.lifetime_earned, account.tier) == (5088, 5088, "gold")
    assert ledger_sum(user) == account.points_balance


def test_the_earning_that_reaches_a_tier_is_still_multiplied_by_the_tier_before_it(app):
    user = quick_user()
    account_with(user, 990)
    line = loyalty.earn_for_order(paid_order(user, 10_000).id)
    assert (line.points, account_of(user).tier) == (100, "silver")  # x1.0 in bronze, then silver
    assert loyalty.earn_for_order(paid_order(user, 10_000).id).points == 125  # x1.25 now


def test_tier_rules_reject_bad_names_thresholds_multipliers_and_benefits(app):
    loyalty.list_tiers()
    cases = [({"name": "Gold Plus!", "min_points": 7000}, "invalid_tier_name"),
             ({"name": "diamond", "min_points": -1}, "invalid_tier_min_points"),
             ({"name": "diamond", "min_points": 30000, "multiplier": 0.5}, "invalid_tier_multiplier"),
             ({"name": "diamond", "min_points": 30000, "multiplier": 10.5}, "invalid_tier_multiplier"),
             ({"name": "diamond", "min_points": 30000, "multiplier": 1.0001}, "invalid_tier_multiplier"),
             ({"name": "diamond", "min_points": 30000, "benefits": ["x"] * 21}, "invalid_tier_benefits"),
             ({"name": "diamond", "min_points": 30000, "benefits": ["  "]}, "invalid_tier_benefits")]
    for fields, reason in cases:
        with pytest.raises(ValidationFailed) as caught:
            loyalty.create_tier(fields)
        assert caught.value.reason == reason and caught.value.status == 422, fields
    with pytest.raises(Conflict) as caught:
        loyalty.create_tier({"name": "Gold", "min_points": 7000})
    assert caught.value.reason == "tier_name_taken"
    with pytest.raises(Conflict) as caught:
        loyalty.create_tier({"name": "diamond", "min_points": 5000})
    assert caught.value.reason == "tier_min_points_taken"
    tier, job = loyalty.create_tier({"name": "diamond", "min_points": 30000, "multiplier": 2.5,
                                     "benefits": ["Free delivery"]})
    assert (tier.multiplier_permille, tier.benefits, job.payload["task"]) == (2500, ["Free delivery"], "loyalty_tiers")


def test_the_base_tier_cannot_be_deleted_renamed_moved_or_deactivated(app):
    loyalty.list_tiers()
    bronze = tier_named("bronze")
    with pytest.raises(Conflict) as caught:
        loyalty.delete_tier(bronze.id)
    assert caught.value.reason == "base_tier_required"
    for change in ({"name": "copper"}, {"min_points": 10}, {"is_active": False}):
        with pytest.raises(ValidationFailed) as caught:
            loyalty.update_tier(bronze.id, change)
        assert caught.value.reason == "base_tier_required", change
    updated, _ = loyalty.update_tier(bronze.id, {"multiplier": 1.1, "benefits": ["Welcome gift"]})
    assert (updated.multiplier_permille, updated.benefits) == (1100, ["Welcome gift"])
    with pytest.raises(NotFound):
        loyalty.update_tier("tier_missing", {"multiplier": 2})


def test_recalculation_moves_every_account_to_its_tier_and_a_rerun_changes_nothing(app):
    users = [quick_user() for _ in range(4)]
    for user, lifetime in zip(users, (0, 700, 1200, 20_000)):
        account_with(user, 0, lifetime=lifetime)
    LoyaltyAccount.update(tier="bronze").execute()
    silver = tier_named("silver")
    _, job = loyalty.update_tier(silver.id, {"min_points": 500})
    assert job.type == "maintenance" and job.payload["task"] == "loyalty_tiers"
    result = loyalty.recalculate_tiers(job, Ctx(), job.created_at)
    assert [account_of(u).tier for u in users] == ["bronze", "silver", "silver", "platinum"]
    assert (result["accounts"], result["changed"]) == (4, 3)
    assert loyalty.recalculate_tiers(job, Ctx(), job.created_at)["changed"] == 0
    loyalty.delete_tier(tier_named("platinum").id)
    loyalty.recalculate_tiers(job, Ctx(), job.created_at)
    assert account_of(users[3]).tier == "gold"
