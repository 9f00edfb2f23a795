"""E2E: the wallet and earn projects (issue 11) on the production shape, over real HTTP.

gunicorn + real dramatiq workers on PostgreSQL + Redis: a staff member (an account the admin gave
the `staff` role) creates an earn project with a small budget, customers complete it, staff
review the submissions; the `earn_reward` job pays the reward into the wallet on a worker, once.
The customer then withdraws: the amount is held, staff approve, the `wallet_payout` job runs the
manual provider (-> awaiting transfer) and staff mark it paid; a second withdrawal rejected by
staff returns the money. At the end the customer's whole ledger (every page) sums to the balance.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e import flows
from tests.e2e.stack import ROOT, Http

ADMIN_EMAIL = "e2e-wallet-admin@cartwheel.test"
ADMIN_PASSWORD = "orchid-lantern-e2e-7"
STAFF_PASSWORD = "correct-horse-battery-9"
REWARD = 2500  # minor units; above twice WALLET_MIN_WITHDRAWAL_MINOR (1000) less the first withdrawal
IBAN = "DE89370400440532013000"


@pytest.fixture(scope="module")
def http(production):
    return Http(production.base)


@pytest.fixture(scope="module")
def staff_token(production, http):
    """A registered account the admin made `staff` (PUT /admin/users/{id}/role), signed in again."""
    production.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    admin = flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    email = f"{flows.unique('staff')}@example.com"
    status, body, _ = http.post("/api/v1/auth/register", {"email": email, "password": STAFF_PASSWORD,
                                                          "firstName": "Rana", "lastName": "Haddad"})
    assert status in (200, 201), (status, body)
    status, body, _ = http.put(f"/api/v1/admin/users/{user_id_of(http, body['data']['accessToken'])}/role",
                               {"role": "staff"}, token=admin)
    assert status == 200 and body["data"]["role"] == "staff", (status, body)
    return flows.login(http, email, STAFF_PASSWORD)


@pytest.fixture(scope="module")
def earner(http):
    """The customer who earns and withdraws in this module."""
    return flows.register_customer(http)


@pytest.fixture(scope="module")
def project(http, staff_token):
    """A text project paying REWARD once per user, with a budget of two rewards."""
    status, body, _ = http.post("/api/v1/earn/projects", {
        "title": flows.unique("Review our serum"), "description": "Tell us how the serum works for you",
        "category": "review", "type": "text", "requirements": {"minWords": 5},
        "reward": {"amount": REWARD, "bonusMultiplier": 1.0},
        "limits": {"maxCompletions": 1, "totalBudget": 2 * REWARD}}, token=staff_token)
    assert status == 201, (status, body)
    assert body["data"]["budget"] == {"spent": 0, "reserved": 0, "left": 2 * REWARD}, body
    return body["data"]


def user_id_of(http: Http, token: str) -> str:
    status, body, _ = http.get("/api/v1/users/profile", token=token)
    assert status == 200, body
    return body["data"]["id"]


def listed_ids(http: Http, token: str) -> set[str]:
    status, body, _ = http.get("/api/v1/earn/projects?limit=100", token=token)
    assert status == 200, (status, body)
    return {p["id"] for p in body["data"]}


def complete(http: Http, token: str, project_id: str):
    return http.post(f"/api/v1/earn/projects/{project_id}/complete",
                     {"text": "The serum made my skin brighter within two weeks", "rating": 5}, token=token)


def run_job(http: Http, answer: tuple, token: str, job_type: str) -> dict:
    """A 202 job answer waited to `succeeded` on the workers; returns its result."""
    status, body, headers = answer
    assert status == 202, (status, body)
    assert body["data"]["type"] == job_type and headers["Location"].endswith(f"/api/v1/jobs/{body['data']['id']}")
    done = http.wait_job(body["data"]["id"], token=token, timeout=30)
    assert done["state"] == "succeeded", done
    return done["result"]


def second_reward_job(env: dict, submission_id: str, owner_id: str) -> str:
    """What a crash between the credit and the job's success leads to: another `earn_reward` job
    for the same submission, written from a process of its own (the relay dispatches it)."""
    code = ("import config; from models.db import atomic, init_database; from services.platform import jobs; "
            "init_database(config.get().database_url, 2)\n"
            "with atomic():\n"
            f" job = jobs.create_job('earn_reward', {{'submissionId': {submission_id!r}}}, owner_id={owner_id!r})\n"
            "print(job.id)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def balance(http: Http, token: str) -> dict:
    status, body, _ = http.get("/api/v1/wallet/balance", token=token)
    assert status == 200, (status, body)
    return body["data"]


def ledger(http: Http, token: str, limit: int = 2) -> list[dict]:
    """Every line of the caller's ledger, page by page (newest first)."""
    lines, page = [], 1
    while True:
        status, body, _ = http.get(f"/api/v1/wallet/transactions?page={page}&limit={limit}", token=token)
        assert status == 200, (status, body)
        lines += body["data"]
        if page * limit >= body["pagination"]["total"]:
            assert len(lines) == body["pagination"]["total"], body
            return lines
        page += 1


def withdraw(http: Http, token: str, amount: int, body: dict, key: str | None = None):
    return http.post("/api/v1/wallet/withdraw", {"amount": amount, **body}, token=token,
                     headers={"Idempotency-Key": key} if key else None)


def test_an_approved_submission_is_paid_into_the_wallet_once_by_the_worker(production, http, staff_token, earner,
                                                                          project):
    assert project["id"] in listed_ids(http, earner)
    status, body, _ = http.post(f"/api/v1/earn/projects/{project['id']}/complete", {"text": "Too short"},
                                token=earner)
    assert status == 422 and body["error"]["reason"] == "submission_too_short", (status, body)

    status, body, _ = complete(http, earner, project["id"])
    assert status == 201, (status, body)
    submission = body["data"]
    assert submission["status"] == "pending" and submission["reward"] == REWARD, submission
    assert project["id"] not in listed_ids(http, earner)  # one completion per user: no longer offered
    status, body, _ = http.get("/api/v1/earn/stats", token=earner)
    assert body["data"]["pending"] == 1 and body["data"]["pendingAmount"] == REWARD, body
    status, body, _ = http.get(f"/api/v1/earn/submissions?projectId={project['id']}&status=pending",
                               token=staff_token)
    assert status == 200 and [s["id"] for s in body["data"]] == [submission["id"]], (status, body)

    result = run_job(http, http.post(f"/api/v1/earn/submissions/{submission['id']}/approve", token=staff_token),
                     staff_token, "earn_reward")
    assert result["submissionId"] == submission["id"] and result["amount"] == REWARD, result

    money = balance(http, earner)
    assert (money["available"], money["held"], money["balance"], money["totalEarned"]) == (REWARD, 0, REWARD, REWARD)
    lines = ledger(http, earner)
    assert [(t["type"], t["amount"], t["status"]) for t in lines] == [("earning", REWARD, "completed")], lines
    assert lines[0]["source"] == {"type": "project", "reference": submission["id"]}, lines
    assert lines[0]["id"] == result["transactionId"]
    status, body, _ = http.get("/api/v1/earn/history", token=earner)
    assert status == 200 and len(body["data"]) == 1, body
    paid = body["data"][0]
    assert (paid["id"], paid["status"], paid["transactionId"]) == (submission["id"], "approved", lines[0]["id"])
    assert paid["paidAt"], paid
    status, body, _ = http.get("/api/v1/earn/stats", token=earner)
    assert status == 200, body
    assert {k: body["data"][k] for k in ("totalEarned", "pendingAmount", "submissions", "pending", "approved",
                                         "rejected")} == {"totalEarned": REWARD, "pendingAmount": 0,
                                                          "submissions": 1, "pending": 0, "approved": 1,
                                                          "rejected": 0}, body

    # Approving again is refused and pays nothing more; so is completing the project a second time.
    status, body, _ = http.post(f"/api/v1/earn/submissions/{submission['id']}/approve", token=staff_token)
    assert status == 409 and body["error"]["reason"] == "submission_status_conflict", (status, body)
    status, body, _ = complete(http, earner, project["id"])
    assert status == 409 and body["error"]["reason"] == "project_limit_reached", (status, body)
    assert balance(http, earner)["available"] == REWARD and len(ledger(http, earner)) == 1
    # The reward job running again (a redelivery after a crash) returns the same line and pays nothing.
    again = http.wait_job(second_reward_job(production.env, submission["id"], user_id_of(http, staff_token)),
                          token=staff_token, timeout=30)
    assert again["state"] == "succeeded" and again["result"]["transactionId"] == result["transactionId"], again
    assert balance(http, earner)["available"] == REWARD and len(ledger(http, earner)) == 1
    status, body, _ = http.get(f"/api/v1/earn/projects/{project['id']}", token=staff_token)
    assert body["data"]["completions"] == 1 and body["data"]["budget"] == {"spent": REWARD, "reserved": 0,
                                                                           "left": REWARD}, body


def test_the_budget_refuses_a_submission_it_cannot_pay_until_a_rejection_frees_it(http, staff_token, project):
    second, third = flows.register_customer(http), flows.register_customer(http)
    status, body, _ = complete(http, second, project["id"])  # reserves the budget's last reward
    assert status == 201, (status, body)
    reserved = body["data"]
    assert project["id"] not in listed_ids(http, third)  # no budget left for one more reward
    status, body, _ = complete(http, third, project["id"])
    assert status == 409 and body["error"]["reason"] == "project_budget_exhausted", (status, body)

    status, body, _ = http.post(f"/api/v1/earn/submissions/{reserved['id']}/reject",
                                {"reason": "The text does not describe the product"}, token=staff_token)
    assert status == 200 and body["data"]["status"] == "rejected", (status, body)
    status, body, _ = http.get("/api/v1/earn/stats", token=second)
    assert (body["data"]["rejected"], body["data"]["totalEarned"], body["data"]["pendingAmount"]) == (1, 0, 0), body
    assert balance(http, second)["balance"] == 0
    assert project["id"] in listed_ids(http, third)  # the reservation returned to the budget
    status, body, _ = complete(http, third, project["id"])
    assert status == 201, (status, body)
    status, body, _ = http.get(f"/api/v1/earn/projects/{project['id']}", token=staff_token)
    assert body["data"]["budget"] == {"spent": REWARD, "reserved": REWARD, "left": 0}, body


def test_withdrawals_are_held_paid_out_through_the_manual_provider_or_returned(http, staff_token, earner):
    assert balance(http, earner)["available"] == REWARD  # the earning of the first test
    status, body, _ = withdraw(http, earner, 999, {"method": "paypal", "paypalEmail": "ahmed@example.com"})
    assert status == 422 and body["error"]["reason"] == "withdrawal_below_minimum", (status, body)
    status, body, _ = withdraw(http, earner, REWARD + 1, {"method": "paypal", "paypalEmail": "ahmed@example.com"})
    assert status == 409 and body["error"]["reason"] == "wallet_insufficient_funds", (status, body)

    bank = {"method": "bank_transfer", "bankAccount": {"iban": IBAN, "accountName": "Ahmed Khalil"}}
    key = flows.unique("withdraw")
    status, body, _ = withdraw(http, earner, 1200, bank, key)
    assert status == 201, (status, body)
    paid_out = body["data"]
    assert paid_out["status"] == "pending" and paid_out["destination"]["iban"] == "DE89 **** 3000", paid_out
    assert (body["balance"]["available"], body["balance"]["held"], body["balance"]["balance"]) == (1300, 1200, REWARD)
    status, body, headers = withdraw(http, earner, 1200, bank, key)  # a retried request: the same withdrawal
    assert status == 200 and headers["Idempotent-Replayed"] == "true" and body["data"]["id"] == paid_out["id"]
    assert (balance(http, earner)["available"], balance(http, earner)["held"]) == (1300, 1200)

    status, body, _ = http.get(f"/api/v1/wallet/withdrawals?status=pending&userId={paid_out['userId']}",
                               token=staff_token)
    assert status == 200 and [w["id"] for w in body["data"]] == [paid_out["id"]], body
    assert body["data"][0]["destination"]["iban"] == IBAN  # staff see the whole destination
    result = run_job(http, http.post(f"/api/v1/wallet/withdrawals/{paid_out['id']}/approve", token=staff_token),
                     staff_token, "wallet_payout")
    assert result == {"withdrawalId": paid_out["id"], "action": "awaiting_transfer", "status": "awaiting_transfer",
                      "reference": f"manual:{paid_out['id']}"}, result
    assert (balance(http, earner)["available"], balance(http, earner)["held"]) == (1300, 1200)  # still held
    status, body, _ = http.post(f"/api/v1/wallet/withdrawals/{paid_out['id']}/mark-paid",
                                {"reference": "BANK-TRF-0001"}, token=staff_token)
    assert status == 200 and body["data"]["status"] == "paid", (status, body)
    assert body["data"]["providerReference"] == "BANK-TRF-0001" and body["data"]["paidAt"], body
    status, body, _ = http.post(f"/api/v1/wallet/withdrawals/{paid_out['id']}/mark-paid", token=staff_token)
    assert status == 409 and body["error"]["reason"] == "withdrawal_status_conflict", (status, body)
    money = balance(http, earner)
    assert (money["available"], money["held"], money["balance"], money["totalWithdrawn"]) == (1300, 0, 1300, 1200)

    status, body, _ = withdraw(http, earner, 1000, {"method": "paypal", "paypalEmail": "ahmed@example.com"})
    assert status == 201, (status, body)
    returned = body["data"]
    assert returned["destination"]["email"] == "a***@example.com", returned
    assert (body["balance"]["available"], body["balance"]["held"]) == (300, 1000), body
    status, body, _ = http.post(f"/api/v1/wallet/withdrawals/{returned['id']}/reject",
                                {"reason": "PayPal account not verified"}, token=staff_token)
    assert status == 200 and body["data"]["status"] == "rejected", (status, body)
    status, body, _ = http.post(f"/api/v1/wallet/withdrawals/{returned['id']}/approve", token=staff_token)
    assert status == 409 and body["error"]["reason"] == "withdrawal_status_conflict", (status, body)

    money = balance(http, earner)
    assert (money["available"], money["held"], money["balance"]) == (1300, 0, 1300), money
    assert (money["totalEarned"], money["totalWithdrawn"]) == (REWARD, 1200), money
    lines = ledger(http, earner)
    assert sorted((t["type"], t["amount"], t["status"]) for t in lines) == sorted([
        ("earning", REWARD, "completed"), ("withdrawal", -1200, "completed"), ("withdrawal", -1000, "reversed"),
        ("withdrawal_reversal", 1000, "completed")]), lines
    assert sum(t["amount"] for t in lines) == money["available"] == money["balance"]
    assert {t["source"]["reference"] for t in lines if t["source"]["type"] == "withdrawal"} == {paid_out["id"],
                                                                                                returned["id"]}
    for line in lines:  # each line's running balance moves by its amount
        assert line["balanceAfter"] - line["balanceBefore"] == line["amount"], line


def at_once(base: str, calls: list) -> list[tuple]:
    """Run `calls` (each `fn(http)`) at the same time, each on its own connection; their answers."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        http = Http(base)
        barrier.wait(timeout=30)
        return call(http)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_requests_never_exceed_the_budget_pay_twice_or_overdraw(production, http, staff_token):
    """Races over real HTTP (gunicorn with 2 worker processes): the PostgreSQL row locks decide."""
    reward = 1000  # exactly WALLET_MIN_WITHDRAWAL_MINOR: one withdrawal empties the wallet
    status, body, _ = http.post("/api/v1/earn/projects", {
        "title": flows.unique("Share a photo"), "category": "ugc_content", "type": "text",
        "reward": {"amount": reward}, "limits": {"maxCompletions": 1, "totalBudget": 3 * reward}}, token=staff_token)
    assert status == 201, (status, body)
    project_id = body["data"]["id"]
    customers = [flows.register_customer(http) for _ in range(8)]
    answers = at_once(production.base, [lambda h, t=t: complete(h, t, project_id) for t in customers])
    accepted = [(token, body["data"]) for token, (status, body, _) in zip(customers, answers) if status == 201]
    refused = [body["error"]["reason"] for status, body, _ in answers if status != 201]
    assert len(accepted) == 3 and refused == ["project_budget_exhausted"] * 5, answers
    status, body, _ = http.get(f"/api/v1/earn/projects/{project_id}", token=staff_token)
    assert body["data"]["budget"] == {"spent": 0, "reserved": 3 * reward, "left": 0}, body

    token, submission = accepted[0]
    approve = f"/api/v1/earn/submissions/{submission['id']}/approve"
    answers = at_once(production.base, [lambda h: h.post(approve, token=staff_token)] * 4)
    assert sorted(status for status, _, _ in answers) == [202, 409, 409, 409], answers
    run_job(http, next(a for a in answers if a[0] == 202), staff_token, "earn_reward")
    assert balance(http, token)["available"] == reward and len(ledger(http, token)) == 1

    paypal = {"method": "paypal", "paypalEmail": "ahmed@example.com"}
    answers = at_once(production.base, [lambda h: withdraw(h, token, reward, paypal)] * 4)
    assert sorted(status for status, _, _ in answers) == [201, 409, 409, 409], answers
    assert {body["error"]["reason"] for status, body, _ in answers if status == 409} == {"wallet_insufficient_funds"}
    withdrawal_id = next(body["data"]["id"] for status, body, _ in answers if status == 201)
    money = balance(http, token)
    assert (money["available"], money["held"]) == (0, reward), money

    approve = f"/api/v1/wallet/withdrawals/{withdrawal_id}/approve"
    answers = at_once(production.base, [lambda h: h.post(approve, token=staff_token)] * 3)
    assert sorted(status for status, _, _ in answers) == [202, 409, 409], answers
    run_job(http, next(a for a in answers if a[0] == 202), staff_token, "wallet_payout")
    reviews = [lambda h: h.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/mark-paid", token=staff_token),
               lambda h: h.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/reject", {"reason": "Duplicate"},
                                token=staff_token)]
    answers = at_once(production.base, reviews * 2)
    assert sorted(status for status, _, _ in answers) == [200, 409, 409, 409], answers
    final = next(body["data"]["status"] for status, body, _ in answers if status == 200)
    money = balance(http, token)
    lines = ledger(http, token)
    assert money["held"] == 0 and sum(t["amount"] for t in lines) == money["available"] == money["balance"]
    assert (money["available"], money["totalWithdrawn"]) == ((0, reward) if final == "paid" else (reward, 0)), money
    assert len(lines) == (2 if final == "paid" else 3), lines
