"""Concurrent submissions and approvals never exceed a project's budget or per-user limit, and
each approved reward is paid once (threads on one database: PostgreSQL row locks, SQLite's lock)."""

import threading

from models.db import database
from models.earn import EarnSubmission
from models.wallet import WalletTransaction
from services import wallet
from services.errors import Conflict
from tests.factories import quick_user
from tests.services.wallet.earn_helpers import project
from tests.services.wallet.helpers import assert_ledger_adds_up, job


def _run(target, count):
    errors = []

    def body(n):
        try:
            target(n)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_submissions_stay_within_budget_and_limit(db):
    prj = project(total_budget=2000, max_per_user=2)  # room for 4 rewards of 500
    users = [quick_user().id for _ in range(3)]
    refused = []

    def submit(n):
        for attempt in range(3):  # each user tries 6 times in all, from two threads
            try:
                wallet.submit(prj.id, users[n % 3], {"text": f"entry {n} {attempt}"})
            except Conflict as exc:
                refused.append(exc.reason)

    assert _run(submit, 6) == []
    rows = list(EarnSubmission.select())
    assert len(rows) == 4
    assert all(sum(1 for r in rows if r.user_id == u) <= 2 for u in users)
    fresh = wallet.get_project(prj.id)
    assert (fresh.budget_reserved, fresh.budget_spent) == (2000, 0)
    assert set(refused) <= {"project_budget_exhausted", "project_limit_reached"}

    def review(n):  # every thread tries to approve every submission, and pays it
        for submission in rows:
            try:
                wallet.approve_submission(submission.id, "usr_staff")
            except Conflict:
                pass
            wallet.run_reward_job(job(submissionId=submission.id), None)

    assert _run(review, 4) == []
    fresh = wallet.get_project(prj.id)
    assert (fresh.budget_reserved, fresh.budget_spent, fresh.completions, fresh.status) == (0, 2000, 4, "completed")
    assert WalletTransaction.select().count() == 4
    assert sum(wallet.balance(u, "USD")["available"] for u in users) == 2000
    assert_ledger_adds_up()
