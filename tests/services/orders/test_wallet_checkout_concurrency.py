"""Checkouts racing for one wallet (threads on one database: PostgreSQL's wallet row lock,
SQLite's write lock): each passed the synchronous balance check, only those the balance covers
are placed, the others roll back whole; the balance never goes negative and equals its ledger."""

import threading

from models.db import database
from models.jobs import Job
from models.orders import Order
from models.wallet import Wallet, WalletTransaction
from services import orders, wallet
from services.orders import checkout
from tests.factories import ADDRESS, fill_cart, make_product, make_user, token_for

RACERS = 6
COVERED = 3


def _start(user, cart_id):
    job = orders.start_checkout(user, {"cart_id": cart_id, "shipping_address": ADDRESS, "billing_address": "same",
                                       "shipping_method": "standard", "payment_method": "wallet"})
    Job.update(state="running").where(Job.id == job.id).execute()  # as the worker holds it
    return job.id


def _place(job_id, outcomes):
    try:
        checkout.place_order(Job.get_by_id(job_id))
        outcomes.append("placed")
    except wallet.InsufficientFunds:
        outcomes.append("short")
    except Exception as exc:  # noqa: BLE001 - reported by the test
        outcomes.append(exc)
    finally:
        database.close()


def test_checkouts_racing_for_one_wallet_never_overspend_it(api):
    user = make_user()
    token = token_for(user)
    product = make_product(price=2950, stock=100)
    wallet.credit(user.id, 1_000_000, "USD", source_type="adjustment", source_ref=f"open:{user.id}")
    job_ids = [_start(user, fill_cart(api, product, token=token)) for _ in range(RACERS + 1)]
    total = checkout.place_order(Job.get_by_id(job_ids[0])).total  # every cart costs the same
    left = wallet.balance(user.id, "USD")["available"]
    keep = COVERED * total + total // 2  # covers COVERED of the racers, not one more
    wallet.debit(user.id, left - keep, "USD", source_type="order", source_ref=f"elsewhere:{user.id}")
    outcomes = []
    threads = [threading.Thread(target=_place, args=(job_id, outcomes)) for job_id in job_ids[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["placed"] * COVERED + ["short"] * (RACERS - COVERED), outcomes
    row = Wallet.get(Wallet.user == user.id)
    lines = list(WalletTransaction.select().where(WalletTransaction.user == user.id))
    assert row.available == keep - COVERED * total == sum(t.amount for t in lines) >= 0
    placed = list(Order.select().where(Order.customer == user.id))
    assert len(placed) == COVERED + 1 and all(o.payment_status == "paid" for o in placed)
    spent = [t for t in lines if t.source_type == "order" and t.source_ref.startswith("ord_")]
    assert sorted(t.source_ref for t in spent) == sorted(o.id for o in placed)
    assert all(t.balance_after >= 0 for t in lines)
