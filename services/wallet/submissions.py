"""Submissions of earn projects (seed 002 `POST /earn/projects/{id}/complete`): checked against
the project's requirements, reserved from its budget, reviewed by staff, paid into the wallet.

Checks (each failure a 422 with its reason and the field):
- only the fields the type takes (text: `text`; photo: `imageUrl`, `text` as caption; video:
  `videoUrl`, `durationSeconds`, caption; visit: `lat`, `lng`, `imageUrl`, caption; any:
  `productId`, `rating` 1-5, `metadata`): another is `submission_field_not_applicable`;
- the content the type asks for: `text` a text, `photo` an image URL, `video` a video URL and its
  `durationSeconds`, `visit` the visit's `lat`/`lng` (`submission_content_required`,
  `submission_location_required`);
- `min_words` (words = runs of letters or digits, Unicode-aware; `submission_too_short`),
  `min_duration_seconds` (`submission_video_too_short`), the visit within `location_radius_km`
  of the project (haversine; `submission_too_far`), a product of the project's `products` when it
  names some (`submission_product_required`).

Reservation: under the project's row lock (FOR UPDATE on PostgreSQL; SQLite's write lock), in
the transaction that writes the submission: the project must be open (409
`project_not_available`), the user below `max_per_user` pending or approved submissions (409
`project_limit_reached`), and the budget must hold one more reward (409
`project_budget_exhausted`); then `budget_reserved` rises by the reward. So concurrent
submissions can never exceed the budget or the per-user limit.

Review (staff), under the same lock: approve (pending -> approved; the reward moves from
reserved to spent, `completions` + 1, the project becomes `completed` when the budget less what
is spent cannot pay another reward - rewards still reserved stay payable; an `earn_reward` job
credits the wallet) or reject with a reason (pending ->
rejected; the reservation is released, and the user's slot frees). The job's credit is keyed
(project, submission id, earning) in the ledger, so a retried job never pays twice.
"""

from __future__ import annotations

import re

import config
from models.db import atomic, isoformat, utcnow
from models.earn import SUBMISSION_STATUSES, EarnProject, EarnSubmission
from models.jobs import Job
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import catalog_ttl, jobs
from services.wallet import projects
from services.wallet.geo import distance_km

WORD = re.compile(r"\w+", re.UNICODE)
KIND_BY_TYPE = {"text": "text", "photo": "image", "video": "video", "visit": "visit"}
ACCEPTED = {  # the entry fields each project type takes, besides product_id, rating and metadata
    "text": {"text"}, "photo": {"image_url", "text"}, "video": {"video_url", "duration_seconds", "text"},
    "visit": {"lat", "lng", "image_url", "text"}}
COMMON = {"product_id", "rating", "metadata"}
CAMEL = {"image_url": "imageUrl", "video_url": "videoUrl", "duration_seconds": "durationSeconds",
         "product_id": "productId"}


def count_words(text: str) -> int:
    """Words in `text`: runs of Unicode letters, digits or underscores."""
    return len(WORD.findall(text or ""))


def check_submission(project: EarnProject, entry: dict) -> dict:
    """The submission's stored fields from `entry` (`text`, `image_url`, `video_url`,
    `duration_seconds`, `lat`, `lng`, `product_id`, `rating`, `metadata`), checked against the
    project's requirements (module docstring). Raises ValidationFailed (422)."""
    kind = KIND_BY_TYPE[project.type]
    extra = sorted(set(k for k, v in entry.items() if v is not None) - ACCEPTED[project.type] - COMMON)
    if extra:
        name = CAMEL.get(extra[0], extra[0])
        raise ValidationFailed.for_field(name, f"A {project.type} project does not take {name}",
                                         reason="submission_field_not_applicable")
    text = (entry.get("text") or "").strip()
    fields = {"kind": kind, "rating": entry.get("rating"), "metadata": entry.get("metadata") or {},
              "product_id": entry.get("product_id")}
    if kind == "text":
        if not text:
            raise ValidationFailed.for_field("text", "A text project needs a text",
                                             reason="submission_content_required")
        words = count_words(text)
        if project.min_words and words < project.min_words:
            raise ValidationFailed.for_field("text", f"{words} words; at least {project.min_words}",
                                             reason="submission_too_short")
        fields.update(content=text, word_count=words)
    elif kind == "image":
        if not entry.get("image_url"):
            raise ValidationFailed.for_field("imageUrl", "A photo project needs an image URL",
                                             reason="submission_content_required")
        fields.update(content=entry["image_url"])
    elif kind == "video":
        if not entry.get("video_url") or entry.get("duration_seconds") is None:
            raise ValidationFailed.for_field("videoUrl", "A video project needs a video URL and durationSeconds",
                                             reason="submission_content_required")
        if project.min_duration_seconds and entry["duration_seconds"] < project.min_duration_seconds:
            raise ValidationFailed.for_field("durationSeconds", f"At least {project.min_duration_seconds} seconds",
                                             reason="submission_video_too_short")
        fields.update(content=entry["video_url"], duration_seconds=entry["duration_seconds"])
    else:
        if entry.get("lat") is None or entry.get("lng") is None:
            raise ValidationFailed.for_field("lat", "A visit project needs the visit's lat and lng",
                                             reason="submission_location_required")
        distance = distance_km(entry["lat"], entry["lng"], project.location_lat, project.location_lng)
        if distance > project.location_radius_km:
            raise ValidationFailed.for_field("lat", f"{distance:.2f} km away; within {project.location_radius_km} km",
                                             reason="submission_too_far")
        fields.update(content=entry.get("image_url") or "", lat=entry["lat"], lng=entry["lng"],
                      distance_km=round(distance, 3))
    if project.products and fields["product_id"] not in project.products:
        raise ValidationFailed.for_field("productId", "Name one of the project's products",
                                         reason="submission_product_required")
    if kind != "text":
        fields["caption"] = text
    return fields


def submit(project_id: str, user_id: str, entry: dict) -> EarnSubmission:
    """Check and record a completion of the project by the user, reserving its reward (module
    docstring). Returns the pending submission. Raises NotFound (404 `project_not_found`),
    ValidationFailed (422, see `check_submission`), Conflict (409 `project_not_available`,
    `project_limit_reached`, `project_budget_exhausted`)."""
    fields = check_submission(projects.get_project(project_id), entry)
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        project = projects.locked_project(project_id)
        now = utcnow()
        if project.status != "active" or (project.expires_at is not None and project.expires_at <= now):
            raise Conflict("This project is not available", reason="project_not_available")
        if projects.live_count(project.id, user_id) >= project.max_per_user:
            raise Conflict(f"At most {project.max_per_user} completions per user", reason="project_limit_reached")
        reward = projects.reward_of(project)
        left = projects.budget_left(project)
        if left is not None and left < reward:
            raise Conflict("The project's budget is used up", reason="project_budget_exhausted")
        submission = EarnSubmission.create(project=project.id, user=user_id, reward=reward, currency=project.currency,
                                           created_at=now, **fields)
        EarnProject.update(budget_reserved=EarnProject.budget_reserved + reward,
                           submissions=EarnProject.submissions + 1, updated_at=now).where(
            EarnProject.id == project.id).execute()
    return submission


def get_submission(submission_id: str, user_id: str | None = None) -> EarnSubmission:
    """The submission (only the user's own when `user_id` is given). Raises NotFound (404
    `submission_not_found`)."""
    query = EarnSubmission.select().where(EarnSubmission.id == submission_id)
    if user_id:
        query = query.where(EarnSubmission.user == user_id)
    found = query.get_or_none()
    if found is None:
        raise NotFound("Submission not found", reason="submission_not_found")
    return found


def _review(submission_id: str, status: str, staff_id: str, reason: str | None):
    """Lock the project, move the submission pending -> `status`; returns (submission, project)."""
    submission = get_submission(submission_id)
    project = projects.locked_project(submission.project_id)
    now = utcnow()
    changed = EarnSubmission.update(status=status, reviewed_by=staff_id, reviewed_at=now, reason=reason).where(
        EarnSubmission.id == submission.id, EarnSubmission.status == "pending").execute()
    if not changed:
        raise Conflict(f"The submission is {get_submission(submission.id).status} already",
                       reason="submission_status_conflict")
    return submission, project, now


def approve_submission(submission_id: str, staff_id: str) -> tuple[EarnSubmission, Job]:
    """pending -> approved: the reward moves from reserved to spent, the project may complete, and
    the `earn_reward` job pays it. Returns `(submission, job)`; the caller dispatches the job.
    Raises NotFound (404 `submission_not_found`), Conflict (409 `submission_status_conflict`)."""
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        submission, project, now = _review(submission_id, "approved", staff_id, None)
        spent = project.budget_spent + submission.reward
        exhausted = project.total_budget is not None and project.total_budget - spent < projects.reward_of(project)
        status = "completed" if exhausted and project.status == "active" else project.status
        EarnProject.update(budget_reserved=EarnProject.budget_reserved - submission.reward,
                           budget_spent=EarnProject.budget_spent + submission.reward,
                           completions=EarnProject.completions + 1, status=status, updated_at=now).where(
            EarnProject.id == project.id).execute()
        job = jobs.create_job("earn_reward", {"submissionId": submission.id}, owner_id=staff_id)
    return get_submission(submission.id), job


def reject_submission(submission_id: str, staff_id: str, reason: str) -> EarnSubmission:
    """pending -> rejected with `reason`: the reserved reward returns to the budget and the user's
    slot frees. Raises NotFound (404 `submission_not_found`), Conflict (409
    `submission_status_conflict`)."""
    with atomic():
        catalog_ttl.invalidate_after_commit()  # the cached homepage sections
        submission, project, now = _review(submission_id, "rejected", staff_id, reason[:500])
        EarnProject.update(budget_reserved=EarnProject.budget_reserved - submission.reward, updated_at=now).where(
            EarnProject.id == project.id).execute()
    return get_submission(submission.id)


def list_submissions(status: str | None = None, user_id: str | None = None, project_id: str | None = None,
                     page: int = 1, limit: int = 20) -> tuple[list[EarnSubmission], int]:
    """Submissions, newest first (staff: `status`, `project_id`; a user's history: `user_id`):
    `(rows, total)`. Raises ValidationFailed (422 `invalid_status`)."""
    query = EarnSubmission.select()
    if status:
        if status not in SUBMISSION_STATUSES:
            raise ValidationFailed.for_field("status", f"One of {', '.join(SUBMISSION_STATUSES)}",
                                             reason="invalid_status")
        query = query.where(EarnSubmission.status == status)
    if user_id:
        query = query.where(EarnSubmission.user == user_id)
    if project_id:
        query = query.where(EarnSubmission.project == project_id)
    total = query.count()
    return list(query.order_by(EarnSubmission.created_at.desc(), EarnSubmission.id).paginate(page, limit)), total


def earn_stats(user_id: str) -> dict:
    """The user's earning figures: `{"totalEarned"` (paid rewards, minor units), `"pendingAmount"`
    (rewards of pending and approved-but-unpaid submissions), `"submissions"`, `"pending"`,
    `"approved"`, `"rejected"` (counts), `"currency"}`."""
    rows = list(EarnSubmission.select().where(EarnSubmission.user == user_id))
    counts = {status: sum(1 for s in rows if s.status == status) for status in SUBMISSION_STATUSES}
    return {"totalEarned": sum(s.reward for s in rows if s.paid_at is not None),
            "pendingAmount": sum(s.reward for s in rows if s.status == "pending"
                                 or (s.status == "approved" and s.paid_at is None)),
            "submissions": len(rows), **counts, "currency": config.get().currency}


def submission_view(submission: EarnSubmission, project: EarnProject | None = None) -> dict:
    """`{"id", "projectId", "projectTitle", "userId", "submission": {"type", "content", "caption", "metadata"},
    "wordCount", "durationSeconds", "location": {"lat", "lng", "distanceKm"} | null, "productId",
    "rating", "reward" (minor units), "currency", "status", "reason", "reviewedAt", "paidAt",
    "transactionId", "completedAt"}`."""
    project = project or EarnProject.get_by_id(submission.project_id)
    return {"id": submission.id, "projectId": submission.project_id, "projectTitle": project.title,
            "userId": submission.user_id,
            "submission": {"type": submission.kind, "content": submission.content, "caption": submission.caption,
                           "metadata": submission.metadata or {}},
            "wordCount": submission.word_count, "durationSeconds": submission.duration_seconds,
            "location": {"lat": submission.lat, "lng": submission.lng, "distanceKm": submission.distance_km}
            if submission.lat is not None else None,
            "productId": submission.product_id, "rating": submission.rating, "reward": submission.reward,
            "currency": submission.currency, "status": submission.status, "reason": submission.reason,
            "reviewedAt": isoformat(submission.reviewed_at), "paidAt": isoformat(submission.paid_at),
            "transactionId": submission.transaction_id, "completedAt": isoformat(submission.created_at)}
