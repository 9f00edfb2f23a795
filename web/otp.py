"""OTP phone login (seed 002): `POST /auth/send-otp`, `POST /auth/verify-otp`
(services.customers.otp_login). Both are auth routes: the per-IP auth rate limit applies
(web.limits), beside the per-number resend cooldown and hourly cap of the service."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers
from web.auth import TokensEnvelopeSchema, sign_in_answer
from web.request_info import client_ip
from web.schemas import CamelSchema, ok

blp = Blueprint("otp", __name__, url_prefix="/api/v1/auth", description="OTP phone login (SMS codes)")

Phone = ma.fields.String(required=True, validate=validate.Length(min=3, max=32),
                         metadata={"description": "E.164 (`+201012345678`), or national with `region`"})
Region = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{2}$"),
                          metadata={"description": "ISO 3166-1 alpha-2 country of a national number"})


class SendOtpSchema(CamelSchema):
    phone = Phone
    region = Region


class OtpSentSchema(CamelSchema):
    phone = ma.fields.String(metadata={"description": "the normalised number, masked"})
    expires_in = ma.fields.Integer(metadata={"description": "seconds the code is good for"})
    resend_in = ma.fields.Integer(metadata={"description": "seconds before another code may be asked for"})
    code_length = ma.fields.Integer()


class OtpSentEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(OtpSentSchema)
    message = ma.fields.String()


class VerifyOtpSchema(CamelSchema):
    phone = Phone
    region = Region
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\s*[0-9]{6}\s*$"),
                            metadata={"description": "the 6 digits of the SMS"})
    device_id = ma.fields.String(validate=validate.Length(min=1, max=100),
                                 metadata={"description": "the app's device id (seed 001 deviceInfo)"})
    platform = ma.fields.String(validate=validate.Length(min=1, max=30),
                                metadata={"description": "ios, android, web..."})


@blp.route("/send-otp")
class SendOtp(MethodView):
    @blp.arguments(SendOtpSchema)
    @blp.response(202, OtpSentEnvelopeSchema)
    def post(self, body):
        """Text a 6-digit login code to the number (a job; good for 5 minutes, 5 tries). The
        answer is the same whether or not the number has an account. 429 `otp_cooldown` with
        Retry-After when a code was sent to the number within the last minute, or 5 this hour."""
        sent = customers.send_otp(body["phone"], body.get("region"), client_ip())
        return ok(sent, 202, message="If the number can receive SMS, a code is on its way")


@blp.route("/verify-otp")
class VerifyOtp(MethodView):
    @blp.arguments(VerifyOtpSchema)
    @blp.response(200, TokensEnvelopeSchema)
    def post(self, body):
        """Sign in with the code: tokens for a new session (the account is created on first
        use: a phone-first customer, `newUser: true`), or `mfaRequired` and a challenge token
        for an account with MFA. 401 `invalid_otp` for a wrong, used or expired code (every
        try counts) and once the tries are spent."""
        user, created = customers.verify_otp(body["phone"], body["code"], body.get("region"))
        return sign_in_answer(user, body, newUser=created)
