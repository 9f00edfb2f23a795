"""Where a withdrawal's money goes: checking and masking payout destinations.

- `bank_transfer`: `{"iban", "accountName"}`; the IBAN is checked by python-stdnum (country
  format, length and ISO 13616 mod-97 check digits) and stored compact and upper-case
  (`DE89370400440532013000`);
- `paypal`: `{"email"}` (the schema checks the address), stored lower-case.

Destinations are stored encrypted (models.wallet.Withdrawal.destination); views show them
masked (`DE89 **** 3000`, `j***@example.com`) except to staff, who need the full details to
make a manual transfer.
"""

from __future__ import annotations

from stdnum import iban as iban_numbers
from stdnum.exceptions import ValidationError as NumberError

from services.errors import ValidationFailed


def normalise(method: str, details: dict) -> dict:
    """The stored destination of `method` from the request's `details` (snake_case keys: `iban`,
    `account_name` / `email`). Raises ValidationFailed (422 `invalid_iban`) and ValueError for an
    unknown method (the schema allows only models.wallet.WITHDRAWAL_METHODS)."""
    if method == "bank_transfer":
        try:
            compact = iban_numbers.validate(details.get("iban") or "")
        except NumberError as exc:
            raise ValidationFailed("The IBAN is not valid", reason="invalid_iban",
                                   details=[{"field": "iban", "message": str(exc) or "Not a valid IBAN"}]) from None
        return {"iban": compact, "accountName": details["account_name"].strip()}
    if method == "paypal":
        return {"email": details["email"].strip().lower()}
    raise ValueError(f"unknown withdrawal method {method!r}")


def masked(method: str, destination: dict) -> dict:
    """`destination` with only what identifies it to its owner: an IBAN's first 4 and last 4
    characters, an email's first character and domain."""
    if method == "bank_transfer":
        value = destination.get("iban", "")
        return {"iban": f"{value[:4]} **** {value[-4:]}", "accountName": destination.get("accountName")}
    local, _, domain = destination.get("email", "").partition("@")
    return {"email": f"{local[:1]}***@{domain}"}
