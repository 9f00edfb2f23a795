"""The wallet (seed 002): each user's money per currency, an append-only ledger, withdrawals
paid out through a provider, and earn projects whose approved submissions pay into it.

Public API for other packages (e.g. services.orders paying with the wallet at checkout, or
cashback), all amounts positive integer minor units:

- `credit(user_id, amount_minor, currency, *, type="earning" | "refund", source_type, source_ref,
  description="", metadata=None)` -> the ledger line; once per (source_type, source_ref, type);
- `debit(user_id, amount_minor, currency, *, type="spending", source_type, source_ref, ...)` ->
  the ledger line; raises `InsufficientFunds` (409 `wallet_insufficient_funds`);
- `debit_up_to(user_id, amount_minor, currency, *, source_type, source_ref, ...)` -> the
  spending line taking back what is there, at most `amount_minor` (shortfall in its metadata),
  or None for an empty wallet; never below 0 (cashback reversals);
- `find_line(source_type, source_ref, type)` -> the ledger line of a source key, or None;
- `balance(user_id, currency)` -> `{"balance", "available", "held", ...}`;
- `transactions(user_id, filters, page, limit)` -> `(lines, total)`, `transaction_view(line)`.

Both `credit` and `debit` join the caller's transaction when called inside one (a savepoint;
the wallet row stays locked until the caller commits) and publish `wallet_update` after commit.

Modules: `ledger` (credit, debit, the locked post), `balances` (reads), `withdrawals` (request,
review, payout job), `payouts` (provider interface, `manual`), `destinations` (IBAN / PayPal
checks and masks), `projects` (earn projects, availability, expiry task), `submissions`
(requirement checks, budget and per-user reservations, review), `earn_payouts` (the
`earn_reward` job), `geo` (haversine), `reasons`. This package imports neither services.orders nor services.content.
"""

from models.wallet import (SOURCE_TYPES, TRANSACTION_STATUSES, TRANSACTION_TYPES, WITHDRAWAL_METHODS,
                           WITHDRAWAL_STATUSES)
from models.earn import CATEGORIES, PROJECT_STATUSES, SUBMISSION_STATUSES, TYPES
from services.wallet.balances import balance, balance_view, transaction_view, transactions
from services.wallet.earn_payouts import pay_reward, run_reward_job
from services.wallet.ledger import InsufficientFunds, credit, debit, debit_up_to, find_line
from services.wallet.payouts import ManualProvider, PayoutOutcome, PayoutProvider, get_provider, register_provider
from services.wallet.projects import (create_project, expire_projects, get_project, list_available, list_projects,
                                      open_projects, project_view, reward_of, update_project)
from services.wallet.reasons import REASONS
from services.wallet.submissions import (approve_submission, count_words, earn_stats, get_submission,
                                         list_submissions, reject_submission, submission_view, submit)
from services.wallet.withdrawals import (approve_withdrawal, get_withdrawal, list_withdrawals, mark_paid,
                                         reject_withdrawal, request_withdrawal, run_payout_job, withdrawal_view)

__all__ = [
    "CATEGORIES", "PROJECT_STATUSES", "SUBMISSION_STATUSES", "TYPES", "approve_submission", "count_words",
    "create_project", "earn_stats", "expire_projects", "get_project", "get_submission", "list_available",
    "list_projects", "list_submissions", "open_projects", "pay_reward", "project_view", "reject_submission",
    "reward_of", "run_reward_job", "submission_view", "submit", "update_project",
    "InsufficientFunds", "ManualProvider", "PayoutOutcome", "PayoutProvider", "REASONS", "SOURCE_TYPES",
    "TRANSACTION_STATUSES", "TRANSACTION_TYPES", "WITHDRAWAL_METHODS", "WITHDRAWAL_STATUSES", "approve_withdrawal",
    "balance", "balance_view", "credit", "debit", "debit_up_to", "find_line", "get_provider", "get_withdrawal",
    "list_withdrawals", "mark_paid",
    "register_provider", "reject_withdrawal", "request_withdrawal", "run_payout_job", "transaction_view",
    "transactions", "withdrawal_view",
]
