"""The cashback job run in parallel threads for one order (a duplicated job, a redelivery, the
refund's job at once) credits once and reverses each refund once (PostgreSQL: the order row lock
and the wallet row lock; SQLite: the write lock)."""

from __future__ import annotations

import threading

from models.db import database
from models.wallet import WalletTransaction
from services import orders, wallet
from tests.factories import quick_user
from tests.services.orders.test_cashback import cashback_jobs, deliver, make_order, partner
from tests.services.wallet.helpers import assert_ledger_adds_up

THREADS = 8


def _parallel(target):
    errors = []
    barrier = threading.Barrier(THREADS)

    def body():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=body) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_parallel_cashback_jobs_credit_once_and_reverse_once(db):
    buyer, staff = quick_user(), quick_user(role="staff")
    store = partner(500)
    order = make_order(buyer, [(store, 4000, 1)])
    deliver(order)
    [job] = cashback_jobs(order.id)
    _parallel(lambda: orders.settle_cashback(order.id, job.payload["rates"]))
    lines = list(WalletTransaction.select().where(WalletTransaction.source_type == "cashback"))
    assert [(line.amount, line.source_ref) for line in lines] == [(200, order.id)]
    first, _ = orders.start_refund(order.id, staff, amount=2250)
    second, _ = orders.start_refund(order.id, staff, amount=1125)
    _parallel(lambda: orders.settle_cashback(order.id, job.payload["rates"]))
    reversals = list(WalletTransaction.select().where(WalletTransaction.source_type == "cashback_reversal"))
    assert sorted((line.source_ref, line.amount) for line in reversals) == sorted([(first.id, -100),
                                                                                   (second.id, -50)])
    assert wallet.balance(buyer.id, "USD")["available"] == 50
    assert_ledger_adds_up()
