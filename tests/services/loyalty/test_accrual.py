"""Loyalty accrual and spending: interactions earn once, idle balances expire with one ledger
line, redemption follows its rules, and a cancelled order's points are taken back once, capped
at the balance. The ledger always sums to the balance."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import config
from models.carts import DiscountCode
from models.db import utcnow
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from services import catalog, customers, loyalty
from services.errors import ValidationFailed
from tests.factories import make_product, quick_user
from tests.services.loyalty.helpers import Ctx, account_of, account_with, ledger_sum, lines_of, paid_order


def with_settings(**changes):
    config.override(dataclasses.replace(config.get(), **changes))


# --------------------------------------------------------------------------- interactions

def test_an_approved_review_earns_its_author_points_once(app):
    author, staff = quick_user(), quick_user(role="staff")
    review = catalog.create_review(author, make_product().id, 5, "Lovely", "Creamy and rich")
    assert review.status == "pending" and loyalty.points_balance(author.id) == 0
    catalog.approve_review(staff, review.id)
    catalog.reject_review(staff, review.id, "Spam after all")
    catalog.approve_review(staff, review.id)
    [line] = lines_of(author)
    assert (line.type, line.points, line.key) == ("earn", 50, f"earn:review:{review.id}")
    assert loyalty.earn_for_review(review.id, author.id) is None
    assert account_of(author).points_balance == 50 == ledger_sum(author)


def test_review_points_follow_the_setting_and_zero_turns_them_off(app):
    with_settings(loyalty_review_points=0)
    assert loyalty.earn_for_review("rev_x", quick_user().id) is None
    with_settings(loyalty_review_points=75)
    user = quick_user()
    assert loyalty.earn_for_review("rev_y", user.id).points == 75


def test_a_completed_profile_earns_points_once(app):
    user = quick_user()
    customers.update_profile(user, {"first_name": "Amal", "last_name": "Haddad"})
    assert loyalty.points_balance(user.id) == 0  # no phone, no date of birth yet
    customers.update_profile(user, {"phone": "+962791234567", "date_of_birth": dt.date(1990, 5, 17)})
    assert loyalty.profile_completed(user.id)
    [line] = lines_of(user)
    assert (line.points, line.key, line.description) == (100, f"earn:profile:{user.id}", "Completed profile")
    customers.update_profile(user, {"phone": None})
    customers.update_profile(user, {"phone": "+962791234568", "first_name": "Amali"})  # completed again
    assert len(lines_of(user)) == 1 and loyalty.points_balance(user.id) == 100


def test_interaction_points_count_towards_the_tier_but_are_not_multiplied(app):
    user = quick_user()
    account_with(user, 5000)  # gold
    assert loyalty.earn_for_review("rev_z", user.id).points == 50
    assert account_of(user).lifetime_earned == 5050


# --------------------------------------------------------------------------- expiry

def test_an_idle_balance_expires_whole_with_one_line_and_a_rerun_does_nothing(app):
    idle, recent, empty = quick_user(), quick_user(), quick_user()
    account_with(idle, 300, lifetime=900, idle_days=366)
    account_with(recent, 80, idle_days=364)
    account_with(empty, 0, idle_days=500)
    result = loyalty.expire_idle_points(None, Ctx(), utcnow())
    assert (result["candidates"], result["expired"], result["points"]) == (1, 1, 300)
    [line] = lines_of(idle, "expire")
    assert (line.points, line.balance_after) == (-300, 0)
    account = account_of(idle)
    assert (account.points_balance, account.lifetime_earned, account.tier) == (0, 900, "bronze")
    assert ledger_sum(idle) == 0 and ledger_sum(recent) == 80 == account_of(recent).points_balance
    again = loyalty.expire_idle_points(None, Ctx(), utcnow())
    assert (again["expired"], len(lines_of(idle, "expire"))) == (0, 1)
    # the same idle balance never expires twice, even if asked directly
    assert loyalty.expire_account(account.id, utcnow(), utcnow()) == 0


def test_a_new_balance_can_expire_again_later_under_a_new_key(app):
    user = quick_user()
    account_with(user, 200, idle_days=400)
    loyalty.expire_idle_points(None, Ctx(), utcnow())
    loyalty.earn_for_order(paid_order(user, 5_000).id)  # activity: a new balance of 50
    later = utcnow() + dt.timedelta(days=366)
    assert loyalty.expire_idle_points(None, Ctx(), later)["points"] == 50
    assert [line.points for line in lines_of(user, "expire")] == [-200, -50]
    assert ledger_sum(user) == 0 == account_of(user).points_balance


def test_expiry_zero_days_never_expires_and_reminders_come_before_expiry(app, settings):
    with_settings(loyalty_points_expiry_days=0)
    user = quick_user()
    account_with(user, 120, idle_days=5000)
    assert loyalty.expire_idle_points(None, Ctx(), utcnow())["expired"] == 0
    assert loyalty.points_view(user)["expiresAt"] is None
    base = {"SECRET_KEY": "test-secret-key-0123456789-0123456789-abcdef"}
    with pytest.raises(config.ConfigError, match="LOYALTY_REMINDER_DAYS"):
        config.load({**base, "LOYALTY_REMINDER_DAYS": "365", "LOYALTY_POINTS_EXPIRY_DAYS": "365"})
    off = config.load({**base, "LOYALTY_REMINDER_DAYS": "400", "LOYALTY_POINTS_EXPIRY_DAYS": "0"})
    assert off.loyalty_reminder_days == 400
    defaults = config.load(base)
    assert defaults.loyalty_reminder_days < defaults.loyalty_points_expiry_days == 365


def test_the_points_view_gives_the_expiry_and_the_next_tier(app):
    user = quick_user()
    account = account_with(user, 400, lifetime=1200, idle_days=10)
    LoyaltyAccount.update(tier="silver").where(LoyaltyAccount.id == account.id).execute()
    view = loyalty.points_view(user)
    assert (view["points"], view["tier"], view["multiplier"], view["lifetimeEarned"]) == (400, "silver", 1.25, 1200)
    assert view["nextTier"] == {"name": "gold", "minPoints": 5000, "pointsNeeded": 3800}
    expected = account_of(user).last_activity_at + dt.timedelta(days=365)
    assert view["expiresAt"].startswith(expected.strftime("%Y-%m-%dT%H:%M:%S"))


# --------------------------------------------------------------------------- redemption

def test_redeeming_creates_a_personal_single_use_code_and_a_redeem_line(app):
    user = quick_user()
    account_with(user, 450)
    reward = loyalty.redeem_points(user, 300)
    assert (reward["value"], reward["currency"], reward["points"], reward["balance"]) == (300, "USD", 300, 150)
    code = DiscountCode.get(DiscountCode.code == reward["code"])
    assert reward["code"].startswith("RWD-") and len(reward["code"]) == 12
    assert (code.kind, code.value, code.customer_id, code.usage_limit, code.per_customer_limit) == (
        "fixed_amount", 300, user.id, 1, 1)
    assert code.description == "Loyalty reward: 300 points"
    assert dt.timedelta(days=89) < code.ends_at - utcnow() <= dt.timedelta(days=90)
    [line] = lines_of(user, "redeem")
    assert (line.points, line.balance_after, line.key) == (-300, 150, f"redeem:{code.id}")
    assert ledger_sum(user) == 150 == account_of(user).points_balance


def test_redemption_rules_minimum_steps_maximum_and_balance(app):
    user = quick_user()
    account_with(user, 250)
    for points, reason in ((50, "redeem_below_minimum"), (0, "redeem_below_minimum"), (-100, "redeem_below_minimum"),
                           (150, "redeem_not_in_steps"), (2_000_000, "redeem_above_maximum"),
                           (300, "insufficient_points"), ("100", "redeem_below_minimum"),
                           (True, "redeem_below_minimum")):
        with pytest.raises(ValidationFailed) as caught:
            loyalty.redeem_points(user, points)
        assert (caught.value.reason, caught.value.status) == (reason, 422), points
    assert DiscountCode.select().count() == 0 and account_of(user).points_balance == 250


def test_the_point_value_setting_prices_the_reward(app):
    with_settings(loyalty_point_value=5)
    user = quick_user()
    account_with(user, 100)
    assert loyalty.redeem_points(user, 100)["value"] == 500


# --------------------------------------------------------------------------- reversal

def test_reversing_an_order_takes_its_points_back_once(app):
    user = quick_user()
    order = paid_order(user, 12_000)
    loyalty.earn_for_order(order.id)
    assert loyalty.reverse_order_points(order.id) == 120
    assert loyalty.reverse_order_points(order.id) == 0
    [line] = lines_of(user, "reverse")
    assert (line.points, line.balance_after, line.order_id) == (-120, 0, order.id)
    assert line.key == f"reverse:order:{order.id}"
    account = account_of(user)
    assert (account.points_balance, account.lifetime_earned) == (0, 0) and ledger_sum(user) == 0


def test_a_reversal_is_capped_at_the_balance_when_the_points_were_spent(app):
    user = quick_user()
    account_with(user, 900)
    order = paid_order(user, 20_000)  # 200 points: lifetime 1100, silver
    loyalty.earn_for_order(order.id)
    assert account_of(user).tier == "silver"
    loyalty.redeem_points(user, 1000)  # balance 100
    assert loyalty.reverse_order_points(order.id) == 100
    account = account_of(user)
    assert (account.points_balance, account.lifetime_earned, account.tier) == (0, 900, "bronze")
    [line] = lines_of(user, "reverse")
    assert line.points == -100 and "100 already spent, kept" in line.description
    assert ledger_sum(user) == 0


def test_an_order_reversed_before_it_earned_never_earns(app):
    user = quick_user()
    order = paid_order(user, 5_000)
    assert loyalty.reverse_order_points(order.id) == 0
    assert loyalty.earn_for_order(order.id) is None
    assert [(line.type, line.points) for line in lines_of(user)] == [("reverse", 0)]
    unpaid = paid_order(user, 5_000, payment_status="pending")
    assert loyalty.reverse_order_points(unpaid.id) == 0
    assert LoyaltyTransaction.select().where(LoyaltyTransaction.order_id == unpaid.id).count() == 0
