"""Paying an approved earn submission's reward into the wallet: the `earn_reward` job.

The credit is `services.wallet.credit(user, reward, currency, type="earning",
source_type="project", source_ref=<submission id>)`: keyed in the ledger, so a job that runs
twice (a redelivery, a retry after a crash between the credit and the mark) pays once. The
submission then records `paid_at` and the ledger line's id.
"""

from __future__ import annotations

from models.db import atomic, utcnow
from models.earn import EarnProject, EarnSubmission
from models.jobs import Job
from services.errors import Conflict
from services.wallet import ledger
from services.wallet.submissions import get_submission


def pay_reward(submission_id: str) -> dict:
    """Credit an approved submission's reward, once. Returns `{"submissionId", "transactionId",
    "amount" (minor units), "currency", "paidAt"}`. Raises NotFound (404 `submission_not_found`),
    Conflict (409 `submission_status_conflict`: not approved)."""
    submission = get_submission(submission_id)
    if submission.status != "approved":
        raise Conflict(f"A {submission.status} submission is not paid", reason="submission_status_conflict")
    project = EarnProject.get_by_id(submission.project_id)
    with atomic():
        line = ledger.credit(submission.user_id, submission.reward, submission.currency, type="earning",
                             source_type="project", source_ref=submission.id,
                             description=f"Earn project: {project.title}"[:255],
                             metadata={"projectId": project.id, "category": project.category})
        EarnSubmission.update(paid_at=utcnow(), transaction_id=line.id).where(
            EarnSubmission.id == submission.id, EarnSubmission.paid_at.is_null()).execute()
    paid = get_submission(submission.id)
    return {"submissionId": paid.id, "transactionId": line.id, "amount": line.amount, "currency": line.currency,
            "paidAt": paid.paid_at.isoformat() + "Z" if paid.paid_at else None}


def run_reward_job(job: Job, ctx) -> dict:
    """`earn_reward` job handler: payload `{"submissionId"}` -> `pay_reward`."""
    return pay_reward(job.payload["submissionId"])
