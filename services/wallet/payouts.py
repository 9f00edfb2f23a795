"""Payout providers: who sends an approved withdrawal's money (`wallet_payout` job).

A provider implements `PayoutProvider.send(withdrawal) -> PayoutOutcome`:

- `PayoutOutcome("paid", ref)`: the money left (the hold becomes a completed withdrawal);
- `PayoutOutcome("awaiting_transfer", ref)`: accepted, someone still has to move it (staff
  confirm with `POST /wallet/withdrawals/{id}/mark-paid`);
- `PayoutOutcome("failed", ref, message)`: refused for good (closed account, bad IBAN): the
  money returns to the wallet;
- raise services.errors.TransientError for a failure worth retrying (timeout, provider 5xx):
  the job platform retries the job with backoff.

`send` must be idempotent for one withdrawal (use `withdrawal.id` as the provider's
idempotency key: the job may run twice after a crash).

Providers: `manual` (the only one shipped): nothing is sent; the withdrawal waits as
`awaiting_transfer` with reference `manual:{withdrawal id}` until staff have made the bank or
PayPal transfer themselves and mark it paid (or reject it, returning the money).
`WALLET_PAYOUT_PROVIDER` names the provider new approvals use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.wallet import Withdrawal

OUTCOMES = ("paid", "awaiting_transfer", "failed")


@dataclass(frozen=True)
class PayoutOutcome:
    """What a provider did: `status` (OUTCOMES), `reference` (its id for the payout), `message`."""

    status: str
    reference: str | None = None
    message: str = ""

    def __post_init__(self):
        if self.status not in OUTCOMES:
            raise ValueError(f"payout outcome must be one of {OUTCOMES}")


class PayoutProvider(Protocol):
    """A payout provider (module docstring)."""

    name: str

    def send(self, withdrawal: Withdrawal) -> PayoutOutcome:
        """Send the withdrawal's money, once per withdrawal id."""


class ManualProvider:
    """Staff transfer the money by hand: every payout waits as `awaiting_transfer`."""

    name = "manual"

    def send(self, withdrawal: Withdrawal) -> PayoutOutcome:
        """Nothing leaves: `awaiting_transfer`, reference `manual:{withdrawal id}`."""
        return PayoutOutcome("awaiting_transfer", f"manual:{withdrawal.id}", "Waiting for a manual transfer by staff")


PROVIDERS: dict[str, PayoutProvider] = {"manual": ManualProvider()}


def get_provider(name: str) -> PayoutProvider | None:
    """The provider called `name`, or None."""
    return PROVIDERS.get(name)


def register_provider(provider: PayoutProvider) -> None:
    """Add (or replace) a provider under `provider.name` (an integration, tests)."""
    PROVIDERS[provider.name] = provider
