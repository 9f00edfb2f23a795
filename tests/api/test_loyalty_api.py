"""Loyalty over HTTP (issue 10; seeds 000, 001, 003): points and tier, history, tiers (public
list, admin writes with their recalculation job), redemption for a reward code applied at
checkout, each route's bad input, other users' data, roles, and concurrent redemptions that
never overspend."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from models.carts import DiscountCode
from models.jobs import Job
from models.loyalty import LoyaltyAccount, LoyaltyTier, LoyaltyTransaction
from services import loyalty
from tests.factories import ApiClient, assert_error, fill_cart, make_product, quick_user, token_for
from tests.services.loyalty.helpers import account_of, account_with, ledger_sum


@pytest.fixture()
def customer(db):
    user = quick_user()
    return user, token_for(user)


def tier_id(name: str) -> str:
    loyalty.list_tiers()  # the defaults, on first use (PostgreSQL tests start from truncated tables)
    return LoyaltyTier.get(LoyaltyTier.name == name).id


# --------------------------------------------------------------------------- points and history

def test_points_show_balance_tier_next_tier_and_expiry(api, customer):
    user, token = customer
    status, body, _ = api.get("/api/v1/loyalty/points", token=token)
    assert status == 200, body
    assert body["data"] == {"points": 0, "tier": "bronze", "multiplier": 1.0, "lifetimeEarned": 0,
                            "nextTier": {"name": "silver", "minPoints": 1000, "pointsNeeded": 1000}, "expiresAt": None}
    account_with(user, 16_000, idle_days=1)
    LoyaltyAccount.update(tier="platinum").where(LoyaltyAccount.user == user.id).execute()
    data = api.get("/api/v1/loyalty/points", token=token)[1]["data"]
    assert (data["points"], data["tier"], data["multiplier"], data["nextTier"]) == (16_000, "platinum", 2.0, None)
    assert data["expiresAt"] is not None
    summary = api.get("/api/v1/loyalty", token=token)[1]["data"]  # the original summary still answers
    assert (summary["balance"], summary["tier"]) == (16_000, "platinum")


def test_points_and_history_need_a_token_and_show_only_the_callers_own(api, customer):
    user, token = customer
    account_with(user, 300)
    other = token_for(quick_user())
    assert api.get("/api/v1/loyalty/points", token=other)[1]["data"]["points"] == 0
    status, body, _ = api.get("/api/v1/loyalty/history", token=other)
    assert status == 200 and body["data"] == [] and body["pagination"]["total"] == 0
    for path in ("/api/v1/loyalty/points", "/api/v1/loyalty/history", "/api/v1/loyalty"):
        assert_error(*api.get(path)[:2], 401)
    assert_error(*api.get("/api/v1/loyalty/points?all=true", token=token)[:2], 400, "unknown_query_parameters")


def test_history_is_paginated_newest_first_in_the_seed_shape(api, customer):
    user, token = customer
    account_with(user, 1000)
    for points in (100, 200, 300):
        assert api.post("/api/v1/loyalty/redeem", {"points": points}, token=token)[0] == 201
    status, body, _ = api.get("/api/v1/loyalty/history?page=1&limit=2", token=token)
    assert status == 200, body
    assert [line["points"] for line in body["data"]] == [-300, -200]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 4, "totalPages": 2, "hasNext": True, "hasPrev": False}
    line = body["data"][0]
    assert {"type", "points", "description", "orderId", "createdAt"} <= set(line) and line["type"] == "redeem"
    assert api.get("/api/v1/loyalty/history?page=2&limit=2", token=token)[1]["data"][-1]["type"] == "earn"
    for bad in ("limit=0", "limit=101", "page=0", "page=x"):
        assert_error(*api.get(f"/api/v1/loyalty/history?{bad}", token=token)[:2], 422)


# --------------------------------------------------------------------------- tiers

def test_anyone_lists_the_active_tiers_and_admins_see_inactive_ones_too(api, customer, admin_token):
    _, token = customer
    status, body, _ = api.get("/api/v1/loyalty/tiers")
    assert status == 200, body
    assert [(t["name"], t["minPoints"], t["multiplier"]) for t in body["data"]] == [
        ("bronze", 0, 1.0), ("silver", 1000, 1.25), ("gold", 5000, 1.5), ("platinum", 15000, 2.0)]
    assert all(t["benefits"] and t["isActive"] for t in body["data"])
    api.put(f"/api/v1/loyalty/tiers/{tier_id('gold')}", {"isActive": False}, token=admin_token)
    names = [t["name"] for t in api.get("/api/v1/loyalty/tiers", token=token)[1]["data"]]
    assert names == ["bronze", "silver", "platinum"]
    assert len(api.get("/api/v1/loyalty/tiers", token=admin_token)[1]["data"]) == 4
    assert_error(*api.get("/api/v1/loyalty/tiers", headers={"Authorization": "Bearer not-a-jwt"})[:2], 401)


def test_admins_create_a_tier_and_its_recalculation_job_moves_customers(api, customer, admin_token):
    user, _ = customer
    account_with(user, 0, lifetime=800)
    status, body, _ = api.post("/api/v1/loyalty/tiers", {"name": "Copper", "minPoints": 500, "multiplier": 1.1,
                                                         "benefits": ["Early access"]}, token=admin_token)
    assert status == 201, body
    assert {k: body["data"][k] for k in ("name", "minPoints", "multiplier", "benefits", "isActive")} == {
        "name": "copper", "minPoints": 500, "multiplier": 1.1, "benefits": ["Early access"], "isActive": True}
    job = body["recalculationJob"]
    assert job["type"] == "maintenance" and job["links"]["self"] == f"/api/v1/jobs/{job['id']}"
    done = api.wait_job(job["id"], token=admin_token)
    assert done["state"] == "succeeded", done
    assert done["result"]["task"] == "loyalty_tiers" and done["result"]["changed"] == 1
    assert account_of(user).tier == "copper"


def test_tier_writes_reject_bad_input_duplicates_and_base_tier_changes(api, admin_token):
    api.get("/api/v1/loyalty/tiers")
    for bad, reason in (({"name": "Gold Star!", "minPoints": 7000}, "invalid_tier_name"),
                        ({"name": "diamond", "minPoints": 30000, "multiplier": 0.9}, "invalid_tier_multiplier"),
                        ({"name": "diamond", "minPoints": 30000, "multiplier": 1.0005}, "invalid_tier_multiplier"),
                        ({"name": "diamond", "minPoints": -5}, None), ({"name": "diamond"}, None),
                        ({"name": "diamond", "minPoints": "100"}, None),
                        ({"name": "diamond", "minPoints": 100, "multiplier": "2"}, None),
                        ({"name": "diamond", "minPoints": 100, "benefits": "free"}, None),
                        ({"name": "diamond", "minPoints": 100, "colour": "blue"}, None)):
        assert_error(*api.post("/api/v1/loyalty/tiers", bad, token=admin_token)[:2], 422, reason)
    assert_error(*api.post("/api/v1/loyalty/tiers", {"name": "silver", "minPoints": 7000}, token=admin_token)[:2],
                 409, "tier_name_taken")
    assert_error(*api.post("/api/v1/loyalty/tiers", {"name": "diamond", "minPoints": 5000}, token=admin_token)[:2],
                 409, "tier_min_points_taken")
    bronze = tier_id("bronze")
    assert_error(*api.put(f"/api/v1/loyalty/tiers/{bronze}", {"minPoints": 100}, token=admin_token)[:2], 422,
                 "base_tier_required")
    assert_error(*api.put(f"/api/v1/loyalty/tiers/{bronze}", {"multiplier": 11}, token=admin_token)[:2], 422,
                 "invalid_tier_multiplier")
    assert_error(*api.delete(f"/api/v1/loyalty/tiers/{bronze}", token=admin_token)[:2], 409, "base_tier_required")
    assert_error(*api.put("/api/v1/loyalty/tiers/tier_missing", {"multiplier": 2}, token=admin_token)[:2], 404,
                 "tier_not_found")
    assert_error(*api.delete("/api/v1/loyalty/tiers/tier_missing", token=admin_token)[:2], 404, "tier_not_found")


def test_admins_update_and_delete_tiers(api, admin_token):
    api.get("/api/v1/loyalty/tiers")
    status, body, _ = api.put(f"/api/v1/loyalty/tiers/{tier_id('gold')}", {"multiplier": 1.75, "minPoints": 6000},
                              token=admin_token)
    assert status == 200, body
    assert (body["data"]["multiplier"], body["data"]["minPoints"]) == (1.75, 6000)
    assert api.wait_job(body["recalculationJob"]["id"], token=admin_token)["state"] == "succeeded"
    status, body, _ = api.delete(f"/api/v1/loyalty/tiers/{tier_id('platinum')}", token=admin_token)
    assert status == 200 and body["message"] == "Loyalty tier deleted", body
    assert api.wait_job(body["recalculationJob"]["id"], token=admin_token)["state"] == "succeeded"
    assert [t["name"] for t in api.get("/api/v1/loyalty/tiers")[1]["data"]] == ["bronze", "silver", "gold"]


def test_customers_and_staff_cannot_write_tiers_and_guests_must_sign_in(api, customer):
    _, token = customer
    staff = token_for(quick_user(role="staff"))
    api.get("/api/v1/loyalty/tiers")
    gold = tier_id("gold")
    body = {"name": "diamond", "minPoints": 30000}
    for who in (token, staff):
        assert_error(*api.post("/api/v1/loyalty/tiers", body, token=who)[:2], 403, "insufficient_role")
        assert_error(*api.put(f"/api/v1/loyalty/tiers/{gold}", {"multiplier": 3}, token=who)[:2], 403,
                     "insufficient_role")
        assert_error(*api.delete(f"/api/v1/loyalty/tiers/{gold}", token=who)[:2], 403, "insufficient_role")
    assert_error(*api.post("/api/v1/loyalty/tiers", body)[:2], 401)
    assert_error(*api.put(f"/api/v1/loyalty/tiers/{gold}", {"multiplier": 3})[:2], 401)
    assert_error(*api.delete(f"/api/v1/loyalty/tiers/{gold}")[:2], 401)
    assert LoyaltyTier.get_by_id(gold).multiplier_permille == 1500


# --------------------------------------------------------------------------- redemption

def test_redeem_gives_a_reward_code_that_only_its_customer_applies_at_checkout(api, customer):
    user, token = customer
    account_with(user, 750)
    status, body, _ = api.post("/api/v1/loyalty/redeem", {"points": 500}, token=token)
    assert status == 201, body
    reward = body["data"]
    assert set(reward) == {"code", "value", "currency", "points", "balance", "expiresAt"}
    assert (reward["value"], reward["currency"], reward["points"], reward["balance"]) == (500, "USD", 500, 250)
    assert reward["code"].startswith("RWD-")
    assert api.get("/api/v1/loyalty/points", token=token)[1]["data"]["points"] == 250

    product = make_product(price=2950, stock=5)
    other = token_for(quick_user())
    other_cart = fill_cart(api, product, token=other)
    assert_error(*api.post("/api/v1/checkout/discount", {"cartId": other_cart, "discountCode": reward["code"]},
                           token=other)[:2], 400, "discount_invalid")
    cart_id = fill_cart(api, product, token=token)
    status, body, _ = api.post("/api/v1/checkout/discount", {"cartId": cart_id, "discountCode": reward["code"]},
                               token=token)
    assert status == 200, body
    assert (body["data"]["type"], body["data"]["discountAmount"]) == ("fixed_amount", 500)


def test_redeem_rejects_bad_amounts_and_more_than_the_balance(api, customer):
    user, token = customer
    account_with(user, 250)
    for points, reason in ((50, "redeem_below_minimum"), (150, "redeem_not_in_steps"),
                           (5_000_000, "redeem_above_maximum"), (300, "insufficient_points")):
        assert_error(*api.post("/api/v1/loyalty/redeem", {"points": points}, token=token)[:2], 422, reason)
    for bad in ({}, {"points": "100"}, {"points": 100.5}, {"points": None}, {"points": 100, "code": "x"}):
        assert_error(*api.post("/api/v1/loyalty/redeem", bad, token=token)[:2], 422)
    assert_error(*api.post("/api/v1/loyalty/redeem", {"points": 100})[:2], 401)
    assert DiscountCode.select().count() == 0 and account_of(user).points_balance == 250 == ledger_sum(user)


def test_concurrent_redemptions_never_overspend_the_balance(app, customer):
    user, token = customer
    account_with(user, 1000)

    def redeem(_):
        status, body, _ = ApiClient(app.test_client()).post("/api/v1/loyalty/redeem", {"points": 300}, token=token)
        return status, (body.get("error") or {}).get("reason") if status != 201 else None

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(redeem, range(8)))
    assert outcomes.count((201, None)) == 3, outcomes
    assert all(outcome in ((201, None), (422, "insufficient_points")) for outcome in outcomes), outcomes
    lines = list(LoyaltyTransaction.select().join(LoyaltyAccount).where(LoyaltyAccount.user == user.id))
    earned = sum(line.points for line in lines if line.type == "earn")
    redeemed = -sum(line.points for line in lines if line.type == "redeem")
    balance = account_of(user).points_balance
    assert (balance, redeemed, earned) == (100, 900, 1000)
    assert balance + redeemed == earned and ledger_sum(user) == balance
    assert DiscountCode.select().where(DiscountCode.customer == user.id).count() == 3


def test_expiry_runs_as_a_maintenance_task(api, customer, admin_token):
    from models.db import atomic
    from services.platform import jobs
    from workers.dispatch import dispatch

    user, token = customer
    account_with(user, 420, idle_days=400)
    with atomic():
        job = jobs.create_job("maintenance", {"task": "loyalty_points_expiry"})
    dispatch(job)
    done = api.wait_job(job.id, token=admin_token)
    assert done["state"] == "succeeded", done
    assert (done["result"]["expired"], done["result"]["points"]) == (1, 420)
    history = api.get("/api/v1/loyalty/history", token=token)[1]["data"]
    assert (history[0]["type"], history[0]["points"]) == ("expire", -420)
    assert Job.select().where(Job.type == "maintenance").count() == 1
