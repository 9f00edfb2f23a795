"""Human order numbers: `{ORDER_NUMBER_PREFIX}-{year}-{n:06d}` (e.g. `SKN-2025-001234`)."""

from __future__ import annotations

import config
from models.db import utcnow
from services.platform import counters


def next_order_number(year: int | None = None) -> str:
    """`{ORDER_NUMBER_PREFIX}-{year}-{n:06d}`, n counted per prefix and year.

    One `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on the counter row
    (services.platform.counters); call it last in the checkout transaction so its row lock
    is held briefly.
    """
    return counters.yearly_number(config.get().order_number_prefix, year or utcnow().year)
