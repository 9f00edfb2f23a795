"""Your data (GDPR; issue 8 "Data protection"): the signed-in caller's export and erasure.

- `POST /users/me/export`: 202 with an `account_export` job (services.customers.data_export), as every
  job POST answers (`Location`, `Retry-After`, `Prefer: wait=N`, `Idempotency-Key`). While an export
  of the caller's is unfinished, the same job is answered again (at most one at a time; not a 409,
  so a retrying client simply keeps polling). Its result describes the file: `fileName`,
  `sizeBytes`, `sha256`, `expiresAt`, `downloadUrl`.
- `GET /users/me/export/{jobId}`: the file, `application/json` as an attachment, to the job's owner
  only: anybody else's job id, or an id that is no export, is the 404 `export_not_found` of an
  unknown one; 409 `export_not_ready` (still running) or `export_failed` (failed, cancelled); 410
  `export_expired` once past `expiresAt` (`ACCOUNT_EXPORT_TTL_DAYS`) or deleted. Sent with
  `Cache-Control: private, no-store` and `Repr-Digest` (RFC 9530, the file's SHA-256).
- `DELETE /users/me`: body `{"password", "code", "otpCode"}` (`otpCode` instead of the password for a
  phone-first account; `code`: a TOTP or recovery code, required when MFA
  is on). 202 with an `account_erasure` job (services.customers.erasure); by then the account is
  disabled and signed out everywhere, so the job is polled without a token (`GET /jobs/{id}`: it
  has no owner, its id is the capability, as for guests). No `Idempotency-Key` (after the first
  success the caller's token no longer works, so there is nothing to replay); `Prefer: wait=N`
  answers 200 with the finished job. 401 `invalid_credentials` / `invalid_mfa_code`, 422
  `mfa_code_required`, 409 `last_admin`.

Open to every signed-in role (customers' own routes: not in web.permissions' matrix); an API key is
refused (403 `scope_missing`: an integration has no "me").
"""

from __future__ import annotations

import base64

import marshmallow as ma
from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers
from web.jobview import IDEMPOTENCY_DOC, accepted, documents_job, submit
from web.schemas import CamelSchema, ErrorEnvelopeSchema, JobEnvelopeSchema
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("account_data", __name__, url_prefix="/api/v1/users/me",
                description="Your data (GDPR): export everything about you, erase your account")

PREFER_ONLY = {"parameters": [p for p in IDEMPOTENCY_DOC["parameters"] if p["name"] == "Prefer"]}
EXPORT_JOB = ("Export job accepted; poll Location. Its result: {fileName, sizeBytes, sha256, expiresAt, "
              "downloadUrl, format, version}. While one of your exports is unfinished, that job is answered")
ERASURE_JOB = ("Erasure job accepted: the account is already disabled and signed out; poll Location without "
               "a token. Its result: {userId, alreadyErased, deleted, anonymised, loyaltyPointsForfeited}")


class AccountErasureSchema(CamelSchema):
    """Re-authentication for erasing the account."""

    password = ma.fields.String(validate=validate.Length(min=1, max=256),
                                metadata={"description": "your current password (accounts that have one)"})
    otp_code = ma.fields.String(validate=validate.Regexp(r"^[0-9]{6}$"),
                                metadata={"description": "a phone-first account (no password): the code of "
                                                         "POST /auth/send-otp to its number"})
    code = ma.fields.String(validate=validate.Length(min=6, max=20),
                            metadata={"description": "with MFA on: the 6 digits of your app, or a recovery code"})


class AccountExportSchema(ma.Schema):
    """The export file (services.customers.data_export): everything held about you, credentials left out."""

    format = ma.fields.String(metadata={"description": "cartwheel.account-export"})
    version = ma.fields.Integer()
    exportedAt = ma.fields.String()
    userId = ma.fields.String()
    account = ma.fields.Dict(metadata={"description": "the account (no password hash)"})
    profile = ma.fields.Dict(metadata={"description": "the profile, personal fields decrypted"})
    preferences = ma.fields.Dict(metadata={"description": "shopping preferences"})
    notificationPreferences = ma.fields.Dict(allow_none=True, metadata={"description": "null: the defaults"})
    devices = ma.fields.List(ma.fields.Dict())
    addresses = ma.fields.List(ma.fields.Dict(), metadata={"description": "the address book, decrypted"})
    sessions = ma.fields.List(ma.fields.Dict(), metadata={"description": "every sign-in (no token)"})
    mfa = ma.fields.Dict(metadata={"description": "enabled, enabledAt, recoveryCodesLeft (no secret)"})
    notifications = ma.fields.List(ma.fields.Dict())
    orders = ma.fields.List(ma.fields.Dict(), metadata={"description": "with items, payments and refunds"})
    carts = ma.fields.List(ma.fields.Dict())
    wishlist = ma.fields.Dict()
    reviews = ma.fields.List(ma.fields.Dict())
    loyalty = ma.fields.Dict(allow_none=True, metadata={"description": "balance and the whole ledger"})
    apiKeys = ma.fields.List(ma.fields.Dict(), metadata={"description": "an admin's keys (no secret)"})
    auditLog = ma.fields.List(ma.fields.Dict(), metadata={"description": "entries about you or by you (no values)"})


@blp.route("")
class Me(MethodView):
    @blp.doc(security=BEARER_SECURITY, **PREFER_ONLY)
    @blp.response(202, JobEnvelopeSchema, description=ERASURE_JOB)
    @blp.alt_response(200, schema=JobEnvelopeSchema, description="With Prefer: wait=N, the finished job")
    @blp.alt_response(409, schema=ErrorEnvelopeSchema, description="The shop's only active admin (last_admin)")
    @checked(require_user)
    @blp.arguments(AccountErasureSchema)
    def delete(self, body):
        """Erase my account: sign out everywhere now, then delete my personal data and anonymise my orders."""
        return accepted(customers.request_erasure(require_user(), body.get("password"), body.get("code"),
                                                  body.get("otp_code")))


@blp.route("/export")
class Export(MethodView):
    @documents_job(blp, EXPORT_JOB)
    @checked(require_user)
    def post(self):
        """Export everything about me as a JSON file (a job; download it from the result's downloadUrl)."""
        user = require_user()
        return submit(lambda: customers.start_export(user), body={})


@blp.route("/export/<id(job):job_id>")
class ExportDownload(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @blp.response(200, AccountExportSchema, content_type="application/json",
                  description="The export file, as an attachment")
    @blp.alt_response(404, schema=ErrorEnvelopeSchema, description="No export of yours with this id")
    @blp.alt_response(409, schema=ErrorEnvelopeSchema, description="Not ready yet, or failed")
    @blp.alt_response(410, schema=ErrorEnvelopeSchema, description="Expired and deleted")
    def get(self, job_id):
        """Download my account export (its job's owner only)."""
        export = customers.export_file(require_user(), job_id)
        response = send_file(export.path, mimetype="application/json", as_attachment=True,
                             download_name=export.file_name, conditional=False, etag=False, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(export.sha256)).decode()}:"
        return response
