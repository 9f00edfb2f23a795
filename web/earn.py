"""Earn projects (seed 002 "Earn Routes"): tasks customers complete for a reward paid into their
wallet, and the staff side (`earn:manage`). Money is integer minor units of the shop currency.

- `GET /api/v1/earn/projects?lat=&lng=&category=&type=` (signed in): the projects the caller can
  complete now (staff add `?all=true` for every project, any status);
- `GET /api/v1/earn/projects/{projectId}` (signed in);
- `POST /api/v1/earn/projects/{projectId}/complete` (signed in) `{text?, imageUrl?, videoUrl?,
  durationSeconds?, lat?, lng?, productId?, rating?, metadata?}`: 201 with the pending submission;
- `GET /api/v1/earn/history` (signed in): the caller's submissions with status and reward;
- `GET /api/v1/earn/stats` (signed in): totals earned and pending, counts by status;
- `POST /api/v1/earn/projects`, `PUT /api/v1/earn/projects/{projectId}` (staff);
- `GET /api/v1/earn/submissions?status=&projectId=` (staff);
- `POST /api/v1/earn/submissions/{submissionId}/approve` (staff): 202 with the `earn_reward` job;
- `POST /api/v1/earn/submissions/{submissionId}/reject` `{reason}` (staff).

Rules are services.wallet's (projects, submissions, earn_payouts).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import wallet
from services.errors import NotAllowed, ValidationFailed
from web.jobview import documents_job, submit
from web.permissions import allowed
from web.schemas import (CamelSchema, PaginationArgsSchema, PaginationSchema, QueryBoolean, StrictFloat,
                         StrictInteger, UtcDateTime, ok, pagination)
from web.security import BEARER_SECURITY, checked, require_staff, require_user

blp = Blueprint("earn", __name__, url_prefix="/api/v1/earn", description="Earn projects and their submissions")

TRIMMED = validate.Regexp(r"^\S(?:.*\S)?$", error="no leading or trailing spaces")
URL = dict(validate=validate.Length(max=2000), schemes={"http", "https"})
PRODUCT_ID = validate.Regexp(r"^prod_[0-9A-Za-z]{1,40}$")
LAT = dict(validate=validate.Range(min=-90, max=90), metadata={"description": "decimal degrees (WGS 84)"})
LNG = dict(validate=validate.Range(min=-180, max=180), metadata={"description": "decimal degrees (WGS 84)"})


class ProjectArgsSchema(PaginationArgsSchema):
    lat = ma.fields.Float(**LAT)
    lng = ma.fields.Float(**LNG)
    category = ma.fields.String(validate=validate.OneOf(wallet.CATEGORIES))
    type = ma.fields.String(validate=validate.OneOf(wallet.TYPES))
    status = ma.fields.String(validate=validate.OneOf(wallet.PROJECT_STATUSES),
                              metadata={"description": "with all=true (staff)"})
    all = QueryBoolean(metadata={"description": "staff: every project, whatever its status and the caller"})

    @ma.validates_schema
    def both_coordinates(self, data, **kwargs):
        """lat and lng come together."""
        if ("lat" in data) != ("lng" in data):
            raise ma.ValidationError("Send lat and lng together", "lng" if "lat" in data else "lat")


class ProjectLocationSchema(ma.Schema):
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    radiusKm = ma.fields.Float()
    name = ma.fields.String(allow_none=True)
    distanceKm = ma.fields.Float(allow_none=True, metadata={"description": "from the caller's lat/lng, km"})
    withinRadius = ma.fields.Boolean(allow_none=True, metadata={"description": "null without the caller's lat/lng"})


class RequirementsViewSchema(ma.Schema):
    minWords = ma.fields.Integer(allow_none=True)
    minDuration = ma.fields.Integer(allow_none=True, metadata={"description": "seconds"})
    location = ma.fields.Nested(ProjectLocationSchema, allow_none=True)
    products = ma.fields.List(ma.fields.String())


class ProjectRewardSchema(ma.Schema):
    amount = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    bonusMultiplier = ma.fields.Float()
    total = ma.fields.Integer(metadata={"description": "paid per approved submission: amount x bonus, rounded down"})


class LimitsViewSchema(ma.Schema):
    maxCompletions = ma.fields.Integer(metadata={"description": "per user"})
    totalBudget = ma.fields.Integer(allow_none=True, metadata={"description": "minor units; null: unlimited"})
    expiryDate = ma.fields.String(allow_none=True)


class BudgetSchema(ma.Schema):
    spent = ma.fields.Integer()
    reserved = ma.fields.Integer()
    left = ma.fields.Integer(allow_none=True)


class ProjectSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    category = ma.fields.String(metadata={"description": ", ".join(wallet.CATEGORIES)})
    type = ma.fields.String(metadata={"description": ", ".join(wallet.TYPES)})
    requirements = ma.fields.Nested(RequirementsViewSchema)
    reward = ma.fields.Nested(ProjectRewardSchema)
    limits = ma.fields.Nested(LimitsViewSchema)
    status = ma.fields.String(metadata={"description": ", ".join(wallet.PROJECT_STATUSES)})
    completions = ma.fields.Integer()
    yourCompletions = ma.fields.Integer(allow_none=True)
    budget = ma.fields.Nested(BudgetSchema, allow_none=True, metadata={"description": "staff only"})
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class ProjectEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ProjectSchema)


class ProjectListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ProjectSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class ProjectLocationInputSchema(CamelSchema):
    lat = StrictFloat(required=True, **LAT)
    lng = StrictFloat(required=True, **LNG)
    radius_km = StrictFloat(required=True, validate=validate.Range(min=0.01, max=20_000),
                            metadata={"description": "km"})
    name = ma.fields.String(validate=validate.Length(max=200))


class RequirementsInputSchema(CamelSchema):
    min_words = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=100_000))
    min_duration = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=86_400),
                                 metadata={"description": "seconds"})
    location = ma.fields.Nested(ProjectLocationInputSchema, allow_none=True, metadata={"description": "visit projects"})
    products = ma.fields.List(ma.fields.String(validate=PRODUCT_ID), validate=validate.Length(max=50))


class RewardInputSchema(CamelSchema):
    amount = StrictInteger(required=True, validate=validate.Range(min=1, max=100_000_000),
                           metadata={"description": "minor units of the shop currency"})
    bonus_multiplier = StrictFloat(validate=validate.Range(min=1, max=10), metadata={
        "description": "1.0-10.0 (thousandths kept)"})


class LimitsInputSchema(CamelSchema):
    max_completions = StrictInteger(validate=validate.Range(min=1, max=1000), metadata={"description": "per user"})
    total_budget = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=10_000_000_000),
                                 metadata={"description": "minor units; null: unlimited"})
    expiry_date = UtcDateTime(allow_none=True)


class ProjectUpdateSchema(CamelSchema):
    title = ma.fields.String(validate=[validate.Length(min=1, max=200), TRIMMED])
    description = ma.fields.String(validate=validate.Length(max=5000))
    category = ma.fields.String(validate=validate.OneOf(wallet.CATEGORIES))
    type = ma.fields.String(validate=validate.OneOf(wallet.TYPES))
    requirements = ma.fields.Nested(RequirementsInputSchema)
    reward = ma.fields.Nested(RewardInputSchema)
    limits = ma.fields.Nested(LimitsInputSchema)
    status = ma.fields.String(validate=validate.OneOf(("active", "paused", "completed")))


class ProjectInputSchema(ProjectUpdateSchema):
    title = ma.fields.String(required=True, validate=[validate.Length(min=1, max=200), TRIMMED])
    category = ma.fields.String(required=True, validate=validate.OneOf(wallet.CATEGORIES))
    type = ma.fields.String(required=True, validate=validate.OneOf(wallet.TYPES))
    reward = ma.fields.Nested(RewardInputSchema, required=True)
    status = ma.fields.String(validate=validate.OneOf(("active", "paused")))


def project_values(body: dict) -> dict:
    """The service's fields from a project body (nested camelCase groups -> flat columns)."""
    values = {k: body[k] for k in ("title", "description", "category", "type", "status") if k in body}
    requirements = body.get("requirements") or {}
    if "min_words" in requirements:
        values["min_words"] = requirements["min_words"]
    if "min_duration" in requirements:
        values["min_duration_seconds"] = requirements["min_duration"]
    if "location" in requirements:
        location = requirements["location"] or {}
        values.update(location_lat=location.get("lat"), location_lng=location.get("lng"),
                      location_radius_km=location.get("radius_km"), location_name=location.get("name"))
    if "products" in requirements:
        values["products"] = requirements["products"]
    reward = body.get("reward") or {}
    if "amount" in reward:
        values["reward_amount"] = reward["amount"]
    if "bonus_multiplier" in reward:
        values["bonus_permille"] = round(reward["bonus_multiplier"] * 1000)
    limits = body.get("limits") or {}
    for key, column in (("max_completions", "max_per_user"), ("total_budget", "total_budget"),
                        ("expiry_date", "expires_at")):
        if key in limits:
            values[column] = limits[key]
    return values


class CompleteSchema(CamelSchema):
    text = ma.fields.String(validate=validate.Length(max=20_000), metadata={"description": "text projects"})
    image_url = ma.fields.Url(**URL, metadata={"description": "photo projects (http or https)"})
    video_url = ma.fields.Url(**URL, metadata={"description": "video projects (http or https)"})
    duration_seconds = StrictInteger(validate=validate.Range(min=1, max=86_400),
                                     metadata={"description": "the video's length, seconds"})
    lat = StrictFloat(**LAT)
    lng = StrictFloat(**LNG)
    product_id = ma.fields.String(validate=PRODUCT_ID)
    rating = StrictInteger(validate=validate.Range(min=1, max=5))
    metadata = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=50)),
                              validate=validate.Length(max=20), metadata={"description": "at most 20 keys"})


class SubmissionContentSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": "text, image, video or visit"})
    content = ma.fields.String(metadata={"description": "the text, or the image / video URL"})
    caption = ma.fields.String(metadata={"description": "a text sent with a photo, video or visit"})
    metadata = ma.fields.Dict()


class SubmissionLocationSchema(ma.Schema):
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    distanceKm = ma.fields.Float()


class SubmissionSchema(ma.Schema):
    id = ma.fields.String()
    projectId = ma.fields.String()
    projectTitle = ma.fields.String()
    userId = ma.fields.String()
    submission = ma.fields.Nested(SubmissionContentSchema)
    wordCount = ma.fields.Integer(allow_none=True)
    durationSeconds = ma.fields.Integer(allow_none=True)
    location = ma.fields.Nested(SubmissionLocationSchema, allow_none=True)
    productId = ma.fields.String(allow_none=True)
    rating = ma.fields.Integer(allow_none=True)
    reward = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    status = ma.fields.String(metadata={"description": ", ".join(wallet.SUBMISSION_STATUSES)})
    reason = ma.fields.String(allow_none=True)
    reviewedAt = ma.fields.String(allow_none=True)
    paidAt = ma.fields.String(allow_none=True)
    transactionId = ma.fields.String(allow_none=True)
    completedAt = ma.fields.String()


class SubmissionEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SubmissionSchema)
    message = ma.fields.String()


class SubmissionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SubmissionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class SubmissionArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(wallet.SUBMISSION_STATUSES))
    project_id = ma.fields.String(validate=validate.Regexp(r"^prj_[0-9A-Za-z]{1,40}$"))


class HistoryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(wallet.SUBMISSION_STATUSES))


class EarnStatsSchema(ma.Schema):
    totalEarned = ma.fields.Integer(metadata={"description": "rewards paid into the wallet, minor units"})
    pendingAmount = ma.fields.Integer(metadata={"description": "rewards pending review or payment, minor units"})
    submissions = ma.fields.Integer()
    pending = ma.fields.Integer()
    approved = ma.fields.Integer()
    rejected = ma.fields.Integer()
    currency = ma.fields.String()


class EarnStatsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(EarnStatsSchema)


class SubmissionRejectSchema(CamelSchema):
    reason = ma.fields.String(required=True, validate=[validate.Length(min=1, max=500), TRIMMED])


def _is_staff(user) -> bool:
    return allowed(user, "earn:manage")


@blp.route("/projects")
class EarnProjects(MethodView):
    @checked(require_user)
    @blp.arguments(ProjectArgsSchema, location="query")
    @blp.response(200, ProjectListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List the earn projects I can complete now (staff: `all=true` for every project)."""
        user = require_user()
        page, limit = args["page"], args["limit"]
        if args.get("all") and not _is_staff(user):
            raise NotAllowed("Only staff list every project", reason="insufficient_role")
        if args.get("status") and not args.get("all"):
            raise ValidationFailed("status filters the staff listing (all=true)", reason="invalid_status",
                                   details=[{"field": "status", "message": "Use with all=true"}])
        if args.get("all"):
            rows, total = wallet.list_projects(args.get("status"), page, limit)
            return ok([wallet.project_view(p, staff=True) for p in rows], pagination=pagination(page, limit, total))
        rows, total = wallet.list_available(user.id, args.get("lat"), args.get("lng"),
                                            {"category": args.get("category"), "type": args.get("type")}, page, limit)
        return ok([wallet.project_view(p, user.id, distance) for p, distance in rows],
                  pagination=pagination(page, limit, total))

    @checked(require_staff)
    @blp.arguments(ProjectInputSchema)
    @blp.response(201, ProjectEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create an earn project; every signed-in user hears `new_project` (staff)."""
        project = wallet.create_project(project_values(body), require_staff().id)
        return ok(wallet.project_view(project, staff=True), 201)


@blp.route("/projects/<id(prj):project_id>")
class EarnProjectById(MethodView):
    @checked(require_user)
    @blp.response(200, ProjectEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, project_id):
        """Get an earn project with my completions of it."""
        user = require_user()
        return ok(wallet.project_view(wallet.get_project(project_id), user.id, staff=_is_staff(user)))

    @checked(require_staff)
    @blp.arguments(ProjectUpdateSchema)
    @blp.response(200, ProjectEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, project_id):
        """Change an earn project; groups given replace only the fields they name (staff)."""
        require_staff()
        return ok(wallet.project_view(wallet.update_project(project_id, project_values(body)), staff=True))


@blp.route("/projects/<id(prj):project_id>/complete")
class EarnProjectComplete(MethodView):
    @checked(require_user)
    @blp.arguments(CompleteSchema)
    @blp.response(201, SubmissionEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, project_id):
        """Submit a completion of an earn project; its reward is reserved until staff review it."""
        submission = wallet.submit(project_id, require_user().id, body)
        return ok(wallet.submission_view(submission), 201, message="Submission received")


@blp.route("/history")
class EarnHistory(MethodView):
    @checked(require_user)
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, SubmissionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my earn submissions, newest first, with status and reward."""
        rows, total = wallet.list_submissions(args.get("status"), user_id=require_user().id, page=args["page"],
                                              limit=args["limit"])
        return ok([wallet.submission_view(s) for s in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/stats")
class EarnStats(MethodView):
    @blp.response(200, EarnStatsEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my earning statistics: paid, pending, counts by status."""
        return ok(wallet.earn_stats(require_user().id))


@blp.route("/submissions")
class EarnSubmissions(MethodView):
    @checked(require_staff)
    @blp.arguments(SubmissionArgsSchema, location="query")
    @blp.response(200, SubmissionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List earn submissions to review, newest first (staff)."""
        rows, total = wallet.list_submissions(args.get("status"), project_id=args.get("project_id"),
                                              page=args["page"], limit=args["limit"])
        return ok([wallet.submission_view(s) for s in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/submissions/<id(sub):submission_id>/approve")
class EarnSubmissionApprove(MethodView):
    @checked(require_staff)
    @documents_job(blp, "Reward job accepted; poll Location")
    def post(self, submission_id):
        """Approve a submission: a job pays its reward into the user's wallet, once (staff)."""
        staff = require_staff()
        wallet.get_submission(submission_id)
        return submit(lambda: wallet.approve_submission(submission_id, staff.id)[1], body={})


@blp.route("/submissions/<id(sub):submission_id>/reject")
class EarnSubmissionReject(MethodView):
    @checked(require_staff)
    @blp.arguments(SubmissionRejectSchema)
    @blp.response(200, SubmissionEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, submission_id):
        """Reject a submission; its reserved reward returns to the project's budget (staff)."""
        staff = require_staff()
        return ok(wallet.submission_view(wallet.reject_submission(submission_id, staff.id, body["reason"])),
                  message="Submission rejected")
