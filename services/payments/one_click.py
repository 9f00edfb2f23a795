"""One-click checkout settings (seed 000 `oneClickCheckout {enabled, savedPaymentMethod,
defaultShipping, securityToken}`): which saved card and which saved address a one-click purchase
uses, and its security token.

`configure` issues a new random token (32 bytes, URL-safe) each time it runs; it is shown once
and only its hash is kept: SHA-256 of `token|user id|method id|address id`, so the token is bound
to the customer, the card and the address. Changing the card or the address, deleting either, or
disabling one-click makes the token useless (`verify`); the customer configures again to get a
new one. The purchase itself is services.orders.one_click.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from models.db import utcnow
from models.payment_methods import OneClickCheckout, SavedPaymentMethod
from models.profiles import CustomerAddress
from models.users import User
from services.errors import NotAllowed, NotFound, ValidationFailed
from services.payments import saved_methods


@dataclass(frozen=True)
class OneClickTarget:
    """What a verified one-click purchase buys with: a saved method id (`spm_...`) and a saved
    address id (`adr_...`) of the customer."""

    payment_method_id: str
    address_id: str


def _digest(token: str, user_id: str, method_id: str | None, address_id: str | None) -> str:
    return hashlib.sha256(f"{token}|{user_id}|{method_id}|{address_id}".encode()).hexdigest()


def _default_address_id(user_id: str) -> str | None:
    row = (CustomerAddress.select(CustomerAddress.id)
           .where(CustomerAddress.user == user_id, CustomerAddress.is_default)
           .order_by(CustomerAddress.id).first())
    return row.id if row else None


def settings_view(user: User) -> dict:
    """`{"enabled", "paymentMethod": saved method view | None, "addressId": str | None,
    "ready": bool}`: ready when enabled with a card and an address (the token is never shown here)."""
    row = OneClickCheckout.get_or_none(OneClickCheckout.user == user.id)
    method = SavedPaymentMethod.get_or_none(SavedPaymentMethod.id == row.payment_method_id) if row else None
    address_id = row.address_id if row else None
    enabled = bool(row and row.enabled)
    return {"enabled": enabled, "paymentMethod": saved_methods.method_view(method) if method else None,
            "addressId": address_id, "ready": enabled and method is not None and address_id is not None}


def configure(user: User, enabled: bool, method_id: str | None, address_id: str | None) -> tuple[dict, str | None]:
    """Set the customer's one-click checkout: the saved method `method_id` (default: their default
    card) and the saved address `address_id` (default: their default address). Returns
    `(settings_view, security token)`; the token is None when disabled. Raises NotFound (a method
    or address that is not theirs) and ValidationFailed (422 `one_click_incomplete`: enabling
    without a saved card or address)."""
    if method_id is not None:
        saved_methods.own_method(user.id, method_id)
    else:
        default = saved_methods.default_method(user.id)
        method_id = default.id if default else None
    if address_id is not None:
        if not CustomerAddress.select().where(CustomerAddress.id == address_id,
                                              CustomerAddress.user == user.id).exists():
            raise NotFound("Address not found", reason="address_not_found")
    else:
        address_id = _default_address_id(user.id)
    if enabled and (method_id is None or address_id is None):
        missing = [f for f, v in (("paymentMethodId", method_id), ("addressId", address_id)) if v is None]
        raise ValidationFailed("One-click checkout needs a saved card and a saved address",
                               reason="one_click_incomplete",
                               details=[{"field": f, "message": "Save one first, or name it"} for f in missing])
    token = secrets.token_urlsafe(32) if enabled else None
    values = {"enabled": enabled, "payment_method": method_id, "address": address_id,
              "token_hash": _digest(token, user.id, method_id, address_id) if token else "", "updated_at": utcnow()}
    (OneClickCheckout.insert(user=user.id, **values)
     .on_conflict(conflict_target=[OneClickCheckout.user], update=values).execute())
    return settings_view(user), token


def verify(user: User, token: str) -> OneClickTarget:
    """The card and address a one-click purchase by `user` presenting `token` uses. Raises
    NotAllowed (403 `one_click_token_invalid`: disabled, never configured, a wrong token, or the
    card or address changed or was deleted since the token was issued)."""
    row = OneClickCheckout.get_or_none(OneClickCheckout.user == user.id)
    valid = (row is not None and row.enabled and row.payment_method_id is not None and row.address_id is not None
             and hmac.compare_digest(row.token_hash,
                                     _digest(token, user.id, row.payment_method_id, row.address_id)))
    if not valid:
        raise NotAllowed("The one-click security token is not valid; configure one-click checkout again",
                                   reason="one_click_token_invalid")
    return OneClickTarget(row.payment_method_id, row.address_id)
