"""Passwords and email verification: `POST /auth/change-password`, `/auth/forgot-password`,
`/auth/reset-password`, `/auth/verify-email` and `/auth/verify-email/resend`.

forgot-password always answers 202 with the same message (the lookup and the email happen in
a job), so it tells nobody whether an account exists. The links in the emails point at the
storefront (`STOREFRONT_URL` + `/reset-password?token=...` or `/verify-email?token=...`),
whose page posts the token here.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers
from web.auth import UserEnvelopeSchema, user_to_dict
from web.schemas import CamelSchema, MessageSchema, ok
from web.security import BEARER_SECURITY, checked, current_session_id, require_user

blp = Blueprint("account_recovery", __name__, url_prefix="/api/v1/auth",
                description="Password change and reset, email verification")

FORGOT_ANSWER = "If an account exists for this email, a link to reset its password is on its way"

class ChangePasswordSchema(CamelSchema):
    current_password = ma.fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class SignedOutSchema(CamelSchema):
    signed_out = ma.fields.Integer(metadata={"description": "other sessions signed out"})


class SignedOutEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SignedOutSchema)
    message = ma.fields.String()


class ForgotPasswordSchema(CamelSchema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))


class ResetPasswordSchema(CamelSchema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class AccountEnvelopeSchema(UserEnvelopeSchema):
    message = ma.fields.String()


class TokenSchema(CamelSchema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


@blp.route("/change-password")
class ChangePassword(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ChangePasswordSchema)
    @blp.response(200, SignedOutEnvelopeSchema)
    def post(self, body):
        """Change the password (the current one required); every other session is signed out."""
        signed_out = customers.change_password(require_user(), body["current_password"], body["new_password"],
                                               current_session_id())
        return ok({"signedOut": signed_out}, message="Password changed")


@blp.route("/forgot-password")
class ForgotPassword(MethodView):
    @blp.arguments(ForgotPasswordSchema)
    @blp.response(202, MessageSchema)
    def post(self, body):
        """Ask for a password reset link by email (the same answer whether or not the account exists)."""
        customers.request_password_reset(body["email"])
        return {"message": FORGOT_ANSWER}


@blp.route("/reset-password")
class ResetPassword(MethodView):
    @blp.arguments(ResetPasswordSchema)
    @blp.response(200, AccountEnvelopeSchema)
    def post(self, body):
        """Choose a new password with the emailed link's token (single use, 30 minutes); every
        session is signed out: log in again."""
        user = customers.reset_password(body["token"], body["new_password"])
        return ok(user_to_dict(user), message="Password reset; every session was signed out")


@blp.route("/verify-email")
class VerifyEmail(MethodView):
    @blp.arguments(TokenSchema)
    @blp.response(200, AccountEnvelopeSchema)
    def post(self, body):
        """Confirm the email address with the emailed link's token (single use, 24 hours)."""
        return ok(user_to_dict(customers.verify_email(body["token"])), message="Email address verified")


@blp.route("/verify-email/resend")
class ResendVerification(MethodView):
    @blp.response(202, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self):
        """Email the caller a new confirmation link (409 once verified)."""
        customers.request_verification(require_user())
        return {"message": "A confirmation link is on its way"}
