"""The wallet (seed 002 Transactions): `wallet` (one per user and currency; CHECK available >= 0
and held >= 0, so no balance can go negative on either engine), `wallet_transaction` (the
append-only ledger, UNIQUE (source_type, source_ref, type)) and `withdrawal` (payout requests,
UNIQUE (user, idempotency_key))."""

from models.wallet import Wallet, WalletTransaction, Withdrawal


def migrate(database, migrator):
    database.create_tables([Wallet, WalletTransaction, Withdrawal], safe=True)
