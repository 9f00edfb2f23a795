"""Multi-factor sign-in (seed 001): `POST /auth/mfa/setup`, `POST /auth/mfa/verify`,
`POST /auth/mfa/disable` (services.customers.mfa).

`/verify` does two things: signed in, with a code, it confirms enrolment and answers the 10
recovery codes (once); with the `challengeToken` a sign-in of an MFA user answered, and a code
(or a recovery code), it completes that sign-in and answers the tokens.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers, orders
from services.errors import AuthenticationFailed
from web.auth import TokensSchema, sign_in_client, tokens_answer
from web.schemas import CamelSchema, MessageSchema, ok
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_user

blp = Blueprint("mfa", __name__, url_prefix="/api/v1/auth/mfa", description="Multi-factor sign-in (TOTP)")

Code = ma.fields.String(required=True, validate=validate.Length(min=6, max=20),
                        metadata={"description": "the 6 digits of the app, or a recovery code"})


class MfaSetupSchema(CamelSchema):
    secret = ma.fields.String(metadata={"description": "base32, for typing into the app"})
    otpauth_uri = ma.fields.String()
    qr_code = ma.fields.String(metadata={"description": "PNG data URI of the otpauth URI"})


class MfaSetupEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(MfaSetupSchema)


class MfaVerifyBodySchema(CamelSchema):
    code = Code
    challenge_token = ma.fields.String(validate=validate.Length(min=1, max=2000),
                                       metadata={"description": "from a sign-in that answered mfaRequired"})
    cart_id = ma.fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "with challengeToken: a guest cart to join into the account's cart"})


class MfaVerifiedSchema(TokensSchema):
    enabled = ma.fields.Boolean(metadata={"description": "enrolment confirmed"})
    recovery_codes = ma.fields.List(ma.fields.String(), metadata={"description": "shown once: keep them safe"})


class MfaVerifiedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(MfaVerifiedSchema)


class MfaDisableSchema(CamelSchema):
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=256))
    code = Code


@blp.route("/setup")
class MfaSetup(MethodView):
    @blp.response(200, MfaSetupEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self):
        """Start enrolling an authenticator app: its secret, otpauth URI and QR code."""
        return ok(customers.start_mfa_setup(require_user()))


@blp.route("/verify")
class MfaVerify(MethodView):
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    @blp.arguments(MfaVerifyBodySchema)
    @blp.response(200, MfaVerifiedEnvelopeSchema)
    def post(self, body):
        """Confirm enrolment (signed in), or complete a sign-in with its challenge token."""
        if body.get("challenge_token"):
            user = customers.complete_mfa_challenge(body["challenge_token"], body["code"])
            cart = orders.merge_guest_cart(user, body.get("cart_id"))
            return tokens_answer(user, customers.issue_tokens(user, client=sign_in_client({})), cart=cart)
        user = current_user()
        if user is None:
            raise AuthenticationFailed("Sign in, or send the challengeToken of your sign-in",
                                       reason="authentication_required")
        return ok({"enabled": True, "recoveryCodes": customers.confirm_mfa_setup(user, body["code"])})


@blp.route("/disable")
class MfaDisable(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(MfaDisableSchema)
    @blp.response(200, MessageSchema)
    def post(self, body):
        """Turn MFA off (the password and a current code or a recovery code)."""
        customers.disable_mfa(require_user(), body["password"], body["code"])
        return {"message": "MFA disabled"}
