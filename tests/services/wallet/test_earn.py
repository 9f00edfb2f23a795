"""Earn projects: requirements, budget and per-user limits, review, payment once, expiry."""

import datetime as dt

import pytest

from models.db import utcnow
from models.earn import EarnProject
from models.wallet import WalletTransaction
from services import wallet
from services.errors import Conflict, ValidationFailed
from tests.factories import make_product, quick_user
from tests.services.wallet.earn_helpers import AMMAN, project, visit
from tests.services.wallet.helpers import assert_ledger_adds_up, job


def reason_of(call):
    with pytest.raises((ValidationFailed, Conflict)) as error:
        call()
    return error.value.reason


def test_requirements_must_fit_the_project_type(db):
    assert reason_of(lambda: project(type="visit")) == "project_requirements_invalid"
    assert reason_of(lambda: project(location_lat=1.0, location_lng=1.0, location_radius_km=1.0)) \
        == "project_requirements_invalid"
    assert reason_of(lambda: project(type="photo", min_words=10)) == "project_requirements_invalid"
    assert reason_of(lambda: project(min_duration_seconds=10)) == "project_requirements_invalid"
    assert reason_of(lambda: project(products=["prod_missing"])) == "project_requirements_invalid"
    assert reason_of(lambda: project(expires_at=utcnow() - dt.timedelta(minutes=1))) == "project_invalid_dates"
    assert EarnProject.select().count() == 0


def test_each_requirement_failure_has_its_reason(db):
    user = quick_user().id
    text = project(min_words=5)
    video = project(type="video", category="ugc_content", min_duration_seconds=30)
    photo = project(type="photo", category="ugc_content", products=[make_product().id])
    place = visit()
    assert reason_of(lambda: wallet.submit(text.id, user, {"text": "one two three"})) == "submission_too_short"
    assert reason_of(lambda: wallet.submit(text.id, user, {})) == "submission_content_required"
    assert reason_of(lambda: wallet.submit(text.id, user, {"text": "a b c d e", "image_url": "https://x.test/a.jpg"})) \
        == "submission_field_not_applicable"
    assert reason_of(lambda: wallet.submit(video.id, user, {"video_url": "https://x.test/v.mp4",
                                                            "duration_seconds": 29})) == "submission_video_too_short"
    assert reason_of(lambda: wallet.submit(photo.id, user, {"image_url": "https://x.test/a.jpg"})) \
        == "submission_product_required"
    assert reason_of(lambda: wallet.submit(place.id, user, {})) == "submission_location_required"
    assert reason_of(lambda: wallet.submit(place.id, user, {"lat": 31.99, "lng": 35.91})) == "submission_too_far"
    assert wallet.list_submissions()[1] == 0
    ok = wallet.submit(place.id, user, {"lat": AMMAN[0] + 0.01, "lng": AMMAN[1], "text": "Nice shop"})
    assert ok.status == "pending" and 1.0 < ok.distance_km < 1.2 and ok.caption == "Nice shop"
    assert wallet.count_words("Très bien, 5 étoiles!") == 4


def test_a_submission_reserves_the_reward_and_counts_toward_the_limit(db):
    user = quick_user().id
    prj = project(max_per_user=2, total_budget=1000, bonus_permille=1500)  # reward 750
    submission = wallet.submit(prj.id, user, {"text": "great"})
    assert submission.reward == 750
    fresh = wallet.get_project(prj.id)
    assert (fresh.budget_reserved, fresh.submissions) == (750, 1)
    assert reason_of(lambda: wallet.submit(prj.id, quick_user().id, {"text": "x"})) == "project_budget_exhausted"
    wallet.reject_submission(submission.id, "usr_staff", "Off topic")
    assert wallet.get_project(prj.id).budget_reserved == 0
    assert wallet.submit(prj.id, user, {"text": "again"}).status == "pending"  # the slot and budget are free


def test_the_per_user_limit_counts_pending_and_approved(db):
    user = quick_user().id
    prj = project(max_per_user=1)
    first = wallet.submit(prj.id, user, {"text": "one"})
    assert reason_of(lambda: wallet.submit(prj.id, user, {"text": "two"})) == "project_limit_reached"
    wallet.approve_submission(first.id, "usr_staff")
    assert reason_of(lambda: wallet.submit(prj.id, user, {"text": "three"})) == "project_limit_reached"
    assert wallet.list_available(user)[1] == 0
    assert wallet.list_available(quick_user().id)[1] == 1


def test_approval_pays_the_reward_once_and_completes_a_spent_project(db):
    user = quick_user().id
    prj = project(total_budget=500)
    submission = wallet.submit(prj.id, user, {"text": "good"})
    approved, reward_job = wallet.approve_submission(submission.id, "usr_staff")
    assert approved.status == "approved" and reward_job.type == "earn_reward"
    assert wallet.get_project(prj.id).status == "completed"
    first = wallet.run_reward_job(job(submissionId=submission.id), None)
    again = wallet.run_reward_job(job(submissionId=submission.id), None)
    assert first["transactionId"] == again["transactionId"]
    assert WalletTransaction.select().count() == 1
    assert wallet.balance(user, "USD")["available"] == 500
    assert wallet.get_submission(submission.id).paid_at is not None
    assert reason_of(lambda: wallet.approve_submission(submission.id, "usr_staff")) == "submission_status_conflict"
    assert reason_of(lambda: wallet.reject_submission(submission.id, "usr_staff", "no")) == "submission_status_conflict"
    stats = wallet.earn_stats(user)
    assert (stats["totalEarned"], stats["approved"], stats["pendingAmount"]) == (500, 1, 0)
    assert_ledger_adds_up()


def test_a_rejected_submission_is_never_paid(db):
    user = quick_user().id
    submission = wallet.submit(project().id, user, {"text": "meh"})
    wallet.reject_submission(submission.id, "usr_staff", "Spam")
    assert reason_of(lambda: wallet.run_reward_job(job(submissionId=submission.id), None)) \
        == "submission_status_conflict"


def test_visit_projects_are_listed_by_distance_when_a_location_is_given(db):
    user = quick_user().id
    near, text = visit(), project()
    assert [p.id for p, _ in wallet.list_available(user, 31.0, 35.0)[0]] == [text.id]  # ~100 km away
    listed = dict((p.id, d) for p, d in wallet.list_available(user, AMMAN[0], AMMAN[1])[0])
    assert set(listed) == {near.id, text.id} and listed[near.id] == pytest.approx(0, abs=1e-6)
    view = wallet.project_view(near, user)
    assert view["requirements"]["location"]["withinRadius"] is None  # without a location: flagged


def test_expired_paused_and_unavailable_projects_are_not_submitted_to(db):
    user = quick_user().id
    soon = project(expires_at=utcnow() + dt.timedelta(seconds=1))
    paused = project(status="paused")
    EarnProject.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(EarnProject.id == soon.id).execute()
    assert reason_of(lambda: wallet.submit(soon.id, user, {"text": "x"})) == "project_not_available"
    assert reason_of(lambda: wallet.submit(paused.id, user, {"text": "x"})) == "project_not_available"
    assert wallet.list_available(user)[1] == 0
    assert wallet.expire_projects(None, None, utcnow()) == {"expired": 1}
    assert wallet.expire_projects(None, None, utcnow()) == {"expired": 0}
    assert wallet.get_project(soon.id).status == "expired"


def test_the_budget_cannot_shrink_below_what_is_spent_and_reserved(db):
    prj = project(total_budget=2000)
    wallet.submit(prj.id, quick_user().id, {"text": "x"})
    assert reason_of(lambda: wallet.update_project(prj.id, {"total_budget": 400})) == "project_budget_exhausted"
    assert wallet.update_project(prj.id, {"total_budget": 500, "title": "New"}).title == "New"
