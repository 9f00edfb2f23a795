"""The wallet (seed 002 "Transactions"; migration 0039): one wallet per user and currency, an
append-only ledger of its transactions, and withdrawal requests.

Money is integer minor units of the row's `currency` (ISO 4217). Ledger amounts are SIGNED:
credits (`earning`, `refund`, `withdrawal_reversal`) are > 0, debits (`spending`,
`withdrawal`) < 0, so a wallet's `available` always equals the SUM of its ledger amounts
(pending and reversed lines included: a reversed withdrawal is compensated by its own
`withdrawal_reversal` line, never edited away). `held` is the money of pending withdrawals:
already out of `available`, not yet paid out. A line's amount and balances never change after
insert; only its `status` and `processed_at` move (a withdrawal's line: pending -> completed,
or -> reversed / failed next to its reversal line).

`WalletTransaction` is UNIQUE on (source_type, source_ref, type): one source applies one
transaction of each type once, whatever the number of retries. Rules: services.wallet.
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.encryption import EncryptedJSONField
from models.users import User

TRANSACTION_TYPES = ("earning", "spending", "refund", "withdrawal", "withdrawal_reversal")
"""earning (> 0: an approved earn project, cashback, referral), spending (< 0: paying with the
wallet), refund (> 0: a wallet payment given back), withdrawal (< 0: money held for a payout
request), withdrawal_reversal (> 0: a rejected or failed withdrawal's money returned)."""

CREDIT_TYPES = ("earning", "refund", "withdrawal_reversal")
DEBIT_TYPES = ("spending", "withdrawal")

TRANSACTION_STATUSES = ("pending", "completed", "failed", "reversed")
"""completed (applied for good), pending (a withdrawal not paid out yet), reversed (a rejected
withdrawal: its money came back by a withdrawal_reversal line), failed (a withdrawal whose payout
failed: its money came back likewise)."""

SOURCE_TYPES = ("project", "order", "order_refund", "referral", "cashback", "cashback_reversal", "withdrawal",
                "adjustment")
"""What a transaction comes from (seed 002 source.type): `project` (source_ref: the earn
submission id), `order` (paying an order: the order id), `order_refund` (a refund of a
wallet payment: the refund id, rfd_...), `referral`, `cashback` (an earning; the delivered
order's id), `cashback_reversal` (a spending taking cashback back; the refund's id),
`withdrawal` (the withdrawal id), `adjustment` (a staff or system correction, e.g. the demo's
opening credit)."""

WITHDRAWAL_METHODS = ("bank_transfer", "paypal")
WITHDRAWAL_STATUSES = ("pending", "approved", "awaiting_transfer", "paid", "rejected", "failed")
"""pending (requested, money held, waiting for staff), approved (the payout job runs it through
the provider), awaiting_transfer (the manual provider: staff transfer it by hand, then mark it
paid), paid (the hold became a completed withdrawal), rejected (by staff; money returned),
failed (the provider refused it; money returned)."""


class Wallet(BaseModel):
    """A user's money in one currency: `available` (spendable and withdrawable; equals the sum of
    the ledger's amounts), `held` (in pending withdrawals), lifetime `total_earned` (earning
    lines), `total_spent` (spending lines less refunds), `total_withdrawn` (paid withdrawals)."""

    id = PrefixedIdField("wal")
    user = peewee.ForeignKeyField(User, backref="wallets", on_delete="CASCADE")
    currency = peewee.CharField(max_length=3)
    available = peewee.BigIntegerField(default=0, constraints=[peewee.Check("available >= 0")])
    held = peewee.BigIntegerField(default=0, constraints=[peewee.Check("held >= 0")])
    total_earned = peewee.BigIntegerField(default=0)
    total_spent = peewee.BigIntegerField(default=0)
    total_withdrawn = peewee.BigIntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "currency"), True),)


class WalletTransaction(BaseModel):
    """One ledger line (seed 002 Transaction): `amount` signed minor units (TRANSACTION_TYPES),
    `balance_before` / `balance_after` the wallet's `available` around it, `metadata` a JSON
    object, `processed_at` when it reached its final status (None while pending)."""

    id = PrefixedIdField("wtx")
    wallet = peewee.ForeignKeyField(Wallet, backref="transactions", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="wallet_transactions", on_delete="CASCADE")
    type = peewee.CharField(max_length=24)
    amount = peewee.BigIntegerField(constraints=[peewee.Check("amount <> 0")])
    currency = peewee.CharField(max_length=3)
    description = peewee.CharField(max_length=255, default="")
    source_type = peewee.CharField(max_length=24)
    source_ref = peewee.CharField(max_length=64)
    status = peewee.CharField(max_length=16, default="completed")
    balance_before = peewee.BigIntegerField()
    balance_after = peewee.BigIntegerField(constraints=[peewee.Check("balance_after >= 0")])
    metadata = JSONField(default=dict)
    processed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("source_type", "source_ref", "type"), True),
            (("user", "created_at"), False),
        )


class Withdrawal(BaseModel):
    """A request to pay `amount` (> 0 minor units) out of the wallet to `destination` (encrypted
    at rest: `{"iban", "accountName"}` for bank_transfer, `{"email"}` for paypal). `status`:
    WITHDRAWAL_STATUSES; `provider` the payout provider that runs it (services.wallet.payouts);
    `provider_ref` its reference; `idempotency_key` + `request_hash`: the request's
    Idempotency-Key (UNIQUE per user) and fingerprint, so a retried request returns this row."""

    id = PrefixedIdField("wdr")
    user = peewee.ForeignKeyField(User, backref="withdrawals", on_delete="CASCADE")
    wallet = peewee.ForeignKeyField(Wallet, backref="withdrawals", on_delete="CASCADE")
    amount = peewee.BigIntegerField(constraints=[peewee.Check("amount > 0")])
    currency = peewee.CharField(max_length=3)
    method = peewee.CharField(max_length=20)
    destination = EncryptedJSONField()
    status = peewee.CharField(max_length=20, default="pending", index=True)
    provider = peewee.CharField(max_length=20, null=True)
    provider_ref = peewee.CharField(max_length=100, null=True)
    reason = peewee.CharField(max_length=500, null=True)
    reviewed_by = peewee.CharField(max_length=40, null=True)
    idempotency_key = peewee.CharField(max_length=255, null=True)
    request_hash = peewee.CharField(max_length=64, null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    approved_at = peewee.DateTimeField(null=True)
    paid_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "idempotency_key"), True),)
