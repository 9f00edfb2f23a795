"""The wallet (seed 002 "Wallet Routes"): the caller's balance and ledger, withdrawals, and the
staff review of withdrawals (`wallet:manage`). Money is integer minor units.

- `GET /api/v1/wallet/balance?currency=` (signed in): `{balance, available, held, totalEarned,
  totalSpent, totalWithdrawn, currency}`; `balance` = `available` + `held`;
- `GET /api/v1/wallet/transactions?type=&status=&from=&to=&currency=&page=&limit=` (signed in);
- `POST /api/v1/wallet/withdraw` `{amount, method: bank_transfer | paypal, bankAccount: {iban,
  accountName} | paypalEmail}` (signed in; `Idempotency-Key`): 201, the amount held at once;
- `GET /api/v1/wallet/withdrawals?status=&userId=` (staff): the review queue, oldest first;
- `POST /api/v1/wallet/withdrawals/{withdrawalId}/approve` (staff): 202 with the `wallet_payout` job;
- `POST /api/v1/wallet/withdrawals/{withdrawalId}/reject` `{reason}` (staff): the money returns;
- `POST /api/v1/wallet/withdrawals/{withdrawalId}/mark-paid` `{reference?}` (staff): a manual
  transfer was made.

Rules are services.wallet's.
"""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

import config
from services import wallet
from services.platform import idempotency
from web.jobview import documents_job, submit
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, StrictInteger, UtcDateTime, ok, pagination
from web.security import BEARER_SECURITY, checked, require_staff, require_user

blp = Blueprint("wallet", __name__, url_prefix="/api/v1/wallet", description="Wallet: balance, ledger, withdrawals")

MINOR = {"description": "minor units"}
TRIMMED = validate.Regexp(r"^\S(?:.*\S)?$", error="no leading or trailing spaces")


class BalanceArgsSchema(CamelSchema):
    currency = ma.fields.String(validate=validate.OneOf(sorted(config.CURRENCY_EXPONENTS)),
                                metadata={"description": "ISO 4217; default the shop's CURRENCY"})


class BalanceSchema(ma.Schema):
    currency = ma.fields.String()
    balance = ma.fields.Integer(metadata={"description": "minor units: available + held"})
    available = ma.fields.Integer(metadata={"description": "minor units: spendable and withdrawable"})
    held = ma.fields.Integer(metadata={"description": "minor units in pending withdrawals"})
    totalEarned = ma.fields.Integer(metadata=MINOR)
    totalSpent = ma.fields.Integer(metadata={"description": "minor units: spending less refunds"})
    totalWithdrawn = ma.fields.Integer(metadata=MINOR)
    updatedAt = ma.fields.String(allow_none=True)


class BalanceEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(BalanceSchema)


class TransactionArgsSchema(PaginationArgsSchema, BalanceArgsSchema):
    type = ma.fields.String(validate=validate.OneOf(wallet.TRANSACTION_TYPES))
    status = ma.fields.String(validate=validate.OneOf(wallet.TRANSACTION_STATUSES))
    from_ = UtcDateTime(data_key="from", metadata={"description": "created at or after (ISO 8601)"})
    to = UtcDateTime(metadata={"description": "created before (ISO 8601)"})


class SourceSchema(ma.Schema):
    type = ma.fields.String(metadata={"description": ", ".join(wallet.SOURCE_TYPES)})
    reference = ma.fields.String()


class TransactionSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": ", ".join(wallet.TRANSACTION_TYPES)})
    amount = ma.fields.Integer(metadata={"description": "signed minor units: credits > 0, debits < 0"})
    currency = ma.fields.String()
    description = ma.fields.String()
    source = ma.fields.Nested(SourceSchema)
    status = ma.fields.String(metadata={"description": ", ".join(wallet.TRANSACTION_STATUSES)})
    balanceBefore = ma.fields.Integer(metadata={"description": "available before, minor units"})
    balanceAfter = ma.fields.Integer(metadata={"description": "available after, minor units"})
    metadata = ma.fields.Dict()
    processedAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()


class TransactionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(TransactionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class BankAccountSchema(CamelSchema):
    iban = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{8,40}$"),
                            metadata={"description": "checked: country format and mod-97 check digits"})
    account_name = ma.fields.String(required=True, validate=[validate.Length(min=1, max=100), TRIMMED])


class WithdrawSchema(CamelSchema):
    JSON_SCHEMA = {"oneOf": [{"required": ["bankAccount"], "properties": {"method": {"const": "bank_transfer"}}},
                             {"required": ["paypalEmail"], "properties": {"method": {"const": "paypal"}}}]}

    amount = StrictInteger(required=True, validate=validate.Range(min=1, max=1_000_000_000), metadata={
        "description": "minor units of the shop's currency; at least WALLET_MIN_WITHDRAWAL_MINOR, at most available"})
    method = ma.fields.String(required=True, validate=validate.OneOf(wallet.WITHDRAWAL_METHODS))
    bank_account = ma.fields.Nested(BankAccountSchema, metadata={"description": "for bank_transfer"})
    paypal_email = ma.fields.Email(validate=validate.Length(max=254), metadata={"description": "for paypal"})

    @ma.validates_schema
    def one_destination(self, data, **kwargs):
        """bank_transfer takes bankAccount, paypal takes paypalEmail; never both."""
        wanted = "bank_account" if data.get("method") == "bank_transfer" else "paypal_email"
        other = "paypal_email" if wanted == "bank_account" else "bank_account"
        if data.get("method") and wanted not in data:
            raise ma.ValidationError(f"Required for {data['method']}", "bankAccount" if wanted == "bank_account"
                                     else "paypalEmail")
        if other in data:
            raise ma.ValidationError(f"Not for {data.get('method')}", "paypalEmail" if other == "paypal_email"
                                     else "bankAccount")


class DestinationSchema(ma.Schema):
    iban = ma.fields.String(metadata={"description": "masked (DE89 **** 3000) except for staff"})
    accountName = ma.fields.String()
    email = ma.fields.String(metadata={"description": "masked (j***@example.com) except for staff"})


class WithdrawalSchema(ma.Schema):
    id = ma.fields.String()
    userId = ma.fields.String()
    amount = ma.fields.Integer(metadata=MINOR)
    currency = ma.fields.String()
    method = ma.fields.String()
    destination = ma.fields.Nested(DestinationSchema)
    status = ma.fields.String(metadata={"description": ", ".join(wallet.WITHDRAWAL_STATUSES)})
    provider = ma.fields.String(allow_none=True)
    providerReference = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    reviewedBy = ma.fields.String(allow_none=True)
    transactionId = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()
    approvedAt = ma.fields.String(allow_none=True)
    paidAt = ma.fields.String(allow_none=True)


class WithdrawalCreatedSchema(ma.Schema):
    data = ma.fields.Nested(WithdrawalSchema)
    balance = ma.fields.Nested(BalanceSchema)
    message = ma.fields.String()


class WithdrawalEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(WithdrawalSchema)
    message = ma.fields.String()


class WithdrawalListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(WithdrawalSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class WithdrawalArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(wallet.WITHDRAWAL_STATUSES))
    user_id = ma.fields.String(validate=validate.Regexp(r"^usr_[0-9A-Za-z]{1,40}$"))


class WithdrawalRejectSchema(CamelSchema):
    reason = ma.fields.String(required=True, validate=[validate.Length(min=1, max=500), TRIMMED])


class WithdrawalMarkPaidSchema(CamelSchema):
    reference = ma.fields.String(validate=[validate.Length(min=1, max=100), TRIMMED],
                                 metadata={"description": "the bank or PayPal transfer's reference"})


@blp.route("/balance")
class WalletBalance(MethodView):
    @checked(require_user)
    @blp.arguments(BalanceArgsSchema, location="query")
    @blp.response(200, BalanceEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Get my wallet balance: available, held in withdrawals, totals (minor units)."""
        return ok(wallet.balance(require_user().id, args.get("currency") or config.get().currency))


@blp.route("/transactions")
class WalletTransactions(MethodView):
    @checked(require_user)
    @blp.arguments(TransactionArgsSchema, location="query")
    @blp.response(200, TransactionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my wallet transactions, newest first."""
        filters = {"type": args.get("type"), "status": args.get("status"), "currency": args.get("currency"),
                   "from": args.get("from_"), "to": args.get("to")}
        rows, total = wallet.transactions(require_user().id, filters, args["page"], args["limit"])
        return ok([wallet.transaction_view(line) for line in rows],
                  pagination=pagination(args["page"], args["limit"], total))


@blp.route("/withdraw")
class WalletWithdraw(MethodView):
    @checked(require_user)
    @blp.arguments(WithdrawSchema)
    @blp.response(201, WithdrawalCreatedSchema)
    @blp.alt_response(200, schema=WithdrawalCreatedSchema, description="A replay of the same Idempotency-Key and body")
    @blp.doc(security=BEARER_SECURITY, parameters=[
        {"in": "header", "name": "Idempotency-Key", "required": False,
         "schema": {"type": "string", "minLength": 1, "maxLength": 255},
         "description": "Same key + same body returns the original withdrawal; a different body is 422"}])
    def post(self, body):
        """Request a withdrawal to a bank account or PayPal; the amount is held from the balance at once."""
        user = require_user()
        key = request.headers.get("Idempotency-Key")
        fingerprint = idempotency.request_fingerprint(request.method, request.path, request.get_json(silent=True))
        details = body.get("bank_account") or {"email": body.get("paypal_email")}
        withdrawal, replayed = wallet.request_withdrawal(user.id, body["amount"], body["method"], details,
                                                         idempotency_key=key, fingerprint=fingerprint)
        response = ok(wallet.withdrawal_view(withdrawal), 200 if replayed else 201,
                      message="Withdrawal requested", balance=wallet.balance(user.id, withdrawal.currency))
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response


@blp.route("/withdrawals")
class WalletWithdrawals(MethodView):
    @checked(require_staff)
    @blp.arguments(WithdrawalArgsSchema, location="query")
    @blp.response(200, WithdrawalListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List withdrawals to review, oldest first, with full destinations (staff)."""
        rows, total = wallet.list_withdrawals(args.get("status"), args.get("user_id"), args["page"], args["limit"])
        return ok([wallet.withdrawal_view(w, full_destination=True) for w in rows],
                  pagination=pagination(args["page"], args["limit"], total))


@blp.route("/withdrawals/<id(wdr):withdrawal_id>/approve")
class WithdrawalApprove(MethodView):
    @checked(require_staff)
    @documents_job(blp, "Payout job accepted; poll Location")
    def post(self, withdrawal_id):
        """Approve a pending withdrawal: a job sends it through the payout provider (staff)."""
        staff = require_staff()
        wallet.get_withdrawal(withdrawal_id)
        return submit(lambda: wallet.approve_withdrawal(withdrawal_id, staff.id)[1], body={})


@blp.route("/withdrawals/<id(wdr):withdrawal_id>/reject")
class WithdrawalReject(MethodView):
    @checked(require_staff)
    @blp.arguments(WithdrawalRejectSchema)
    @blp.response(200, WithdrawalEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, withdrawal_id):
        """Reject a pending or awaiting-transfer withdrawal; the held money returns to the wallet (staff)."""
        staff = require_staff()
        return ok(wallet.withdrawal_view(wallet.reject_withdrawal(withdrawal_id, staff.id, body["reason"]),
                                         full_destination=True), message="Withdrawal rejected")


@blp.route("/withdrawals/<id(wdr):withdrawal_id>/mark-paid")
class WithdrawalMarkPaid(MethodView):
    @checked(require_staff)
    @blp.arguments(WithdrawalMarkPaidSchema, required=False)
    @blp.response(200, WithdrawalEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, withdrawal_id):
        """Confirm a manual transfer was made: the withdrawal is paid (staff)."""
        staff = require_staff()
        return ok(wallet.withdrawal_view(wallet.mark_paid(withdrawal_id, staff.id, (body or {}).get("reference")),
                                         full_destination=True), message="Withdrawal paid")
