"""Auth: register, login, refresh (rotating), logout, me (OTP phone login: web.otp)."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.db import isoformat
from models.users import User
from services import customers, orders
from web.request_info import client_ip
from web.schemas import CamelSchema, MessageSchema, ok
from web.security import BEARER_SECURITY, require_user

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def user_to_dict(user: User) -> dict:
    return {"id": user.id, "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
            "phone": user.phone, "role": user.role, "createdAt": isoformat(user.created_at)}


class UserSchema(CamelSchema):
    id = ma.fields.String()
    email = ma.fields.String(allow_none=True, metadata={"description": "null for a phone-first account"})
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.String()
    created_at = ma.fields.String()


class CappedLineSchema(ma.Schema):
    variantId = ma.fields.String()
    requested = ma.fields.Integer(metadata={"description": "units on the guest cart's line"})
    quantity = ma.fields.Integer(metadata={"description": "units added (stock or the line maximum ran out)"})


class CartMergeSchema(ma.Schema):
    cartId = ma.fields.String(metadata={"description": "your cart now"})
    merged = ma.fields.String(metadata={"description": "claimed (you had no cart) | lines (added to yours)"})
    capped = ma.fields.List(ma.fields.Nested(CappedLineSchema))


class TokensSchema(CamelSchema):
    access_token = ma.fields.String()
    refresh_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})
    session_id = ma.fields.String(allow_none=True,
                                  metadata={"description": "the sign-in's session (GET /auth/sessions)"})
    mfa_required = ma.fields.Boolean(metadata={"description": "sign-in needs the second factor (no tokens yet)"})
    challenge_token = ma.fields.String(metadata={"description": "for POST /auth/mfa/verify, valid 5 minutes"})
    new_user = ma.fields.Boolean(metadata={"description": "OTP login: the account was created by this sign-in"})
    user = ma.fields.Nested(UserSchema)
    cart = ma.fields.Nested(CartMergeSchema, allow_none=True, metadata={
        "description": "the guest cart named by cartId joined yours (null: nothing joined)"})


class TokensEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(TokensSchema)


class UserEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(UserSchema)


class RegisterSchema(CamelSchema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    password = ma.fields.String(required=True, validate=validate.Length(min=8, max=customers.MAX_PASSWORD_LENGTH))
    first_name = ma.fields.String(load_default="", validate=validate.Length(max=100))
    last_name = ma.fields.String(load_default="", validate=validate.Length(max=100))
    phone = ma.fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ()-]{5,20}$"))
    cart_id = ma.fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "a guest cart to join into the account's cart (services.orders.cart_merge)"})


class LoginSchema(CamelSchema):
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=256))
    device_id = ma.fields.String(validate=validate.Length(min=1, max=100),
                                 metadata={"description": "the app's device id (seed 001 deviceInfo)"})
    platform = ma.fields.String(validate=validate.Length(min=1, max=30),
                                metadata={"description": "ios, android, web..."})
    cart_id = ma.fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "a guest cart to join into the account's cart (an MFA account sends it to "
                       "POST /auth/mfa/verify with the challenge token)"})


class RefreshSchema(CamelSchema):
    refresh_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


def sign_in_client(body: dict) -> customers.Client:
    """Where a sign-in comes from: the body's device fields, the User-Agent and the client IP."""
    return customers.Client(device_id=body.get("device_id"), platform=body.get("platform"),
                            user_agent=request.headers.get("User-Agent"), ip=client_ip())


def tokens_answer(user: User, tokens: dict, status: int = 200, **extra):
    """The `{"data": tokens + user (+ extra)}` answer of a sign-in."""
    return ok(dict(tokens, user=user_to_dict(user), **extra), status)


def sign_in_answer(user: User, body: dict, **extra):
    """The answer once `user` proved a first factor (password, OTP): the device noted, then
    tokens for a new session, or for an MFA account `mfaRequired` and a challenge token."""
    if body.get("device_id"):
        customers.record_device(user.id, body["device_id"], body.get("platform"))
    if customers.has_mfa(user.id):  # the second factor completes the sign-in: POST /auth/mfa/verify
        return ok(dict(customers.mfa_challenge_for(user), **extra))
    cart = orders.merge_guest_cart(user, body.get("cart_id"))
    return tokens_answer(user, customers.issue_tokens(user, client=sign_in_client(body)), cart=cart, **extra)


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegisterSchema)
    @blp.response(201, TokensEnvelopeSchema)
    def post(self, body):
        """Create a customer account and log in; a link to confirm the email address is emailed."""
        user = customers.register_user(body["email"], body["password"], body["first_name"], body["last_name"],
                                  body["phone"])
        customers.request_verification(user)  # the confirmation link, by email (a job)
        cart = orders.merge_guest_cart(user, body.get("cart_id"))
        return tokens_answer(user, customers.issue_tokens(user, client=sign_in_client({})), 201, cart=cart)


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokensEnvelopeSchema)
    def post(self, body):
        """Log in with email and password. An account with MFA gets `mfaRequired` and a 5-minute
        `challengeToken` instead of tokens: POST /auth/mfa/verify completes the sign-in."""
        user = customers.authenticate_with_backoff(body["email"], body["password"], client_ip())
        return sign_in_answer(user, body)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokensEnvelopeSchema)
    def post(self, body):
        """Exchange a refresh token for a new pair (the old one is spent)."""
        tokens = customers.rotate_refresh_token(body["refresh_token"])
        user = customers.user_from_token(tokens["accessToken"])
        return tokens_answer(user, tokens)


@blp.route("/logout")
class Logout(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, MessageSchema)
    def post(self, body):
        """Revoke the refresh token's login (all tokens rotated from it)."""
        customers.logout(body["refresh_token"])
        return {"message": "Logged out"}


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """The authenticated user."""
        return ok(user_to_dict(require_user()))
