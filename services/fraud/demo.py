"""Demo data: `generate_demo_history` writes ml.fraud.synthetic's SYNTHETIC labelled history."""

from __future__ import annotations

from models.db import atomic
from models.fraud import FraudLabel, FraudSignal
from models.orders import Order, OrderItem, Payment
from models.users import User
from services.fraud.signals import _signal_row


def generate_demo_history(customers: int = 400, days: int = 120, seed: int = 0) -> dict:
    """Write ml.fraud.synthetic's SYNTHETIC labelled history (users, orders with one item and a
    payment, fraud labels, signals). Users get an unusable password; order numbers start with
    `SYN-`. Returns {"users", "orders", "fraud"} counts. Run it on demo databases only."""
    from ml.fraud import synthetic
    from models.db import new_id

    data = synthetic.generate(customers, days, seed)
    user_ids = {}
    with atomic():
        existing = {u.email: u.id for u in User.select(User.id, User.email)
                    .where(User.email.in_([u["email"] for u in data["users"]]))}
        new_users = []
        for u in data["users"]:
            user_ids[u["key"]] = existing.get(u["email"]) or new_id("usr")
            if u["email"] not in existing:
                new_users.append({"id": user_ids[u["key"]], "email": u["email"], "password_hash": "!synthetic",
                                  "first_name": "Synthetic", "last_name": "Customer", "created_at": u["created_at"],
                                  "updated_at": u["created_at"]})
        for start in range(0, len(new_users), 500):
            User.insert_many(new_users[start:start + 500]).execute()
    orders_rows, items, payments, labels, signal_rows = [], [], [], [], []
    for row in data["orders"]:
        order_id = new_id("ord")
        status = "cancelled" if row["payment_failed"] else "delivered"
        pay = "failed" if row["payment_failed"] else ("paid" if row["payment_method"] == "stripe" else "pending")
        order = Order(id=order_id, order_number=f"SYN-{seed}-{new_id('n')[2:14]}",
                      customer=user_ids.get(row["user_key"]), customer_email=row["email"], status=status,
                      payment_status=pay, payment_method=row["payment_method"], subtotal=row["amount"], tax=0,
                      shipping=0, discount=0, total=row["amount"], currency="USD",
                      shipping_address=row["shipping_address"], billing_address=row["billing_address"],
                      shipping_method={"id": "standard", "name": "Standard", "price": 0},
                      notes="SYNTHETIC demo history (ml.fraud.synthetic)", stock_released=True,
                      client_ip=row["client_ip"], created_at=row["created_at"], updated_at=row["created_at"])
        orders_rows.append(order.__data__)
        items.append({"id": new_id("oi"), "order": order_id, "product_id": "synthetic", "variant_id": "synthetic",
                      "quantity": row["quantity"], "unit_price": row["amount"] // row["quantity"],
                      "total_price": row["amount"], "product_snapshot": {"name": "Synthetic item"}})
        payments.append({"id": new_id("pay"), "order": order_id, "provider": row["payment_method"],
                         "status": "failed" if row["payment_failed"] else "succeeded", "amount": row["amount"],
                         "currency": "USD", "card_fingerprint": row["card_fingerprint"],
                         "created_at": row["created_at"], "updated_at": row["created_at"]})
        signal_rows.append(_signal_row(order, row["card_fingerprint"]))
        if row["is_fraud"] and row["label_source"]:
            labels.append({"id": new_id("frl"), "order": order_id, "is_fraud": True, "source": row["label_source"],
                            "reference": "synthetic", "created_at": row["created_at"]})
    for model, rows in ((Order, orders_rows), (OrderItem, items), (Payment, payments), (FraudSignal, signal_rows),
                        (FraudLabel, labels)):
        for start in range(0, len(rows), 500):
            with atomic():
                model.insert_many(rows[start:start + 500]).execute()
    return {"users": len(data["users"]), "orders": len(orders_rows), "fraud": len(labels)}
