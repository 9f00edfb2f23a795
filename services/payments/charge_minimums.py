"""Stripe's minimum charge amounts: a PaymentIntent for less is refused (`amount_too_small`), so a
card part is checked before the order is placed.

`MINIMUM_CHARGE` is Stripe's table ("Minimum and maximum charge amounts",
https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts, as of 2026), in minor
units of each currency (JPY and HUF as Stripe counts them). A currency Stripe lists only as "the
equivalent of 0.50 USD in the settlement currency" is not checked here (its minimum depends on the
exchange rate of the day): Stripe's refusal then fails the payment like a declined card.
"""

from __future__ import annotations

from services.errors import ValidationFailed

MINIMUM_CHARGE = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50, "CZK": 1500, "DKK": 250,
    "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50, "JPY": 50, "MXN": 1000, "MYR": 200, "NOK": 300,
    "NZD": 50, "PLN": 200, "RON": 200, "SEK": 300, "SGD": 50, "THB": 1000,
}
"""ISO 4217 code -> the smallest amount Stripe charges a card, minor units."""


def minimum_charge(currency: str) -> int | None:
    """The smallest card charge Stripe accepts in `currency` (minor units), None when not known."""
    return MINIMUM_CHARGE.get(currency.upper())


def check_card_amount(amount: int, currency: str, field: str, hint: str) -> None:
    """Raise ValidationFailed (422 `card_amount_below_minimum`, one detail on `field` with `hint`
    and `minimumCharge`) when `amount` (minor units, > 0) is below Stripe's minimum for `currency`."""
    minimum = minimum_charge(currency)
    if minimum is not None and 0 < amount < minimum:
        raise ValidationFailed(f"A card is charged at least {minimum} ({currency} minor units); this leaves {amount}",
                               reason="card_amount_below_minimum",
                               details=[{"field": field, "message": hint, "minimumCharge": minimum}])
