"""Earn projects (seed 002 "Projects Collection"; migration 0040): tasks customers complete for a
reward paid into their wallet, and their submissions (seed 002 `completions`).

Money is integer minor units of the project's `currency`. A project's budget is split into
`budget_reserved` (rewards of pending submissions) and `budget_spent` (rewards of approved
ones); CHECK: neither is negative, and with a budget their sum never exceeds it. Rules:
services.wallet.projects and services.wallet.submissions.
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

CATEGORIES = ("review", "social_share", "ugc_content", "survey", "referral", "store_visit")
"""review (write about a product), social_share (share a post or product), ugc_content (make a photo
or video), survey (answer questions), referral (bring a friend), store_visit (visit a place)."""

TYPES = ("video", "photo", "text", "visit")
"""What a submission must contain: video (a video URL and its duration), photo (an image URL),
text (a text of at least `min_words` words), visit (the lat/lng of the visit, within the radius)."""

PROJECT_STATUSES = ("active", "paused", "completed", "expired")
"""active (open), paused (by staff), completed (its budget cannot pay another reward), expired
(past `expires_at`)."""

SUBMISSION_STATUSES = ("pending", "approved", "rejected")


class EarnProject(BaseModel):
    """A project: requirements `min_words`, `min_duration_seconds`, `location_lat` /
    `location_lng` / `location_radius_km` (visit projects), `products` (JSON list of product ids:
    the submission names one); reward `reward_amount` times `bonus_permille` / 1000 (1500 = x1.5),
    rounded down; limits `max_per_user` (submissions pending or approved per user), `total_budget`
    (None: unlimited), `expires_at` (None: never); counters `completions` (approved submissions),
    `submissions` (every submission), `budget_reserved`, `budget_spent`."""

    id = PrefixedIdField("prj")
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    category = peewee.CharField(max_length=20)
    type = peewee.CharField(max_length=10)
    min_words = peewee.IntegerField(null=True)
    min_duration_seconds = peewee.IntegerField(null=True)
    location_lat = peewee.DoubleField(null=True)
    location_lng = peewee.DoubleField(null=True)
    location_radius_km = peewee.DoubleField(null=True)
    location_name = peewee.CharField(max_length=200, null=True)
    products = JSONField(default=list)
    reward_amount = peewee.BigIntegerField(constraints=[peewee.Check("reward_amount > 0")])
    currency = peewee.CharField(max_length=3)
    bonus_permille = peewee.IntegerField(default=1000,
                                         constraints=[peewee.Check("bonus_permille BETWEEN 1000 AND 10000")])
    max_per_user = peewee.IntegerField(default=1, constraints=[peewee.Check("max_per_user >= 1")])
    total_budget = peewee.BigIntegerField(null=True)
    budget_reserved = peewee.BigIntegerField(default=0, constraints=[peewee.Check("budget_reserved >= 0")])
    budget_spent = peewee.BigIntegerField(default=0, constraints=[
        peewee.Check("budget_spent >= 0"),
        peewee.Check("total_budget IS NULL OR budget_spent + budget_reserved <= total_budget")])
    completions = peewee.IntegerField(default=0)
    submissions = peewee.IntegerField(default=0)
    expires_at = peewee.DateTimeField(null=True, index=True)
    status = peewee.CharField(max_length=12, default="active", index=True)
    created_by = peewee.CharField(max_length=40, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class EarnSubmission(BaseModel):
    """A user's completion of a project (seed 002 completions[].submission): `kind` (text, image,
    video, visit), `content` (the text, or the image / video URL), `caption` (a text sent with a
    photo, video or visit), what was checked (`word_count`,
    `duration_seconds`, `lat` / `lng` / `distance_km`, `product_id`, `rating` 1-5), `metadata`
    (the client's JSON object), `reward` (minor units reserved from the budget at submission),
    `status` (SUBMISSION_STATUSES), review fields, and `paid_at` / `transaction_id` once the
    reward is in the wallet."""

    id = PrefixedIdField("sub")
    project = peewee.ForeignKeyField(EarnProject, backref="entries", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="earn_submissions", on_delete="CASCADE")
    kind = peewee.CharField(max_length=10)
    content = peewee.TextField(default="")
    caption = peewee.TextField(default="")
    word_count = peewee.IntegerField(null=True)
    duration_seconds = peewee.IntegerField(null=True)
    lat = peewee.DoubleField(null=True)
    lng = peewee.DoubleField(null=True)
    distance_km = peewee.DoubleField(null=True)
    product_id = peewee.CharField(max_length=40, null=True)
    rating = peewee.IntegerField(null=True)
    metadata = JSONField(default=dict)
    reward = peewee.BigIntegerField()
    currency = peewee.CharField(max_length=3)
    status = peewee.CharField(max_length=10, default="pending", index=True)
    reason = peewee.CharField(max_length=500, null=True)
    reviewed_by = peewee.CharField(max_length=40, null=True)
    reviewed_at = peewee.DateTimeField(null=True)
    paid_at = peewee.DateTimeField(null=True)
    transaction_id = peewee.CharField(max_length=40, null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("project", "user"), False), (("user", "created_at"), False))
