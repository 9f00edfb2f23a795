"""Human order numbers: `{ORDER_NUMBER_PREFIX}-{year}-{n:06d}` (e.g. `SKN-2025-001234`)."""

from __future__ import annotations

import config
from models.db import utcnow
from models.orders import OrderCounter


def next_order_number(year: int | None = None) -> str:
    """`{ORDER_NUMBER_PREFIX}-{year}-{n:06d}`, n counted per prefix and year.

    One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on the counter row;
    call it last in the checkout transaction so its row lock is held briefly.
    """
    prefix = config.get().order_number_prefix
    year = year or utcnow().year
    scope = f"{prefix}-{year}"
    query = (OrderCounter.insert(scope=scope, value=1)
             .on_conflict(conflict_target=[OrderCounter.scope], update={OrderCounter.value: OrderCounter.value + 1})
             .returning(OrderCounter.value))
    value = next(iter(query.execute())).value
    return f"{scope}-{value:06d}"
