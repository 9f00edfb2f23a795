"""Gap-free human numbers per scope: order numbers (`SKN-2025-001234`), purchase order numbers
(`PO-2025-000012`). One row per scope in the `ordercounter` table (models.orders.OrderCounter)."""

from __future__ import annotations

from models.orders import OrderCounter


def next_value(scope: str) -> int:
    """The next number of `scope` (1 first): one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`
    on the scope's row, whose lock is held until the caller's transaction ends, so call it late
    in that transaction. A rolled-back transaction gives its number back."""
    query = (OrderCounter.insert(scope=scope, value=1)
             .on_conflict(conflict_target=[OrderCounter.scope], update={OrderCounter.value: OrderCounter.value + 1})
             .returning(OrderCounter.value))
    return next(iter(query.execute())).value


def yearly_number(prefix: str, year: int) -> str:
    """`{prefix}-{year}-{n:06d}`, n counted per prefix and year (`next_value`)."""
    scope = f"{prefix}-{year}"
    return f"{scope}-{next_value(scope):06d}"
