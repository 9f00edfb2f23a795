"""Which stock changes cross a reorder point (services.catalog.reorder has the rules and the
job): kept apart so the stock writers (services.catalog.stock_alerts) need nothing of
purchasing but this."""

from __future__ import annotations

from models.jobs import Job
from services.platform import jobs


def queue_reorders(changes: dict[tuple[str, str], tuple[int, int]],
                   rules: dict[tuple[str, str], tuple[str, int]]) -> list[Job]:
    """`changes`: (variant id, warehouse id) -> (available before, available after) of one stock
    change; `rules`: (variant id, warehouse id) -> (id, reorder point) of the active rules there
    (read with the levels: services.catalog.stock_alerts). Writes a `purchase_reorder` job for
    each rule whose point the change crossed downwards; call inside the change's transaction.
    Returns the jobs."""
    specs = []
    for (variant_id, warehouse_id), (was, now) in sorted(changes.items()):
        rule = rules.get((variant_id, warehouse_id))
        if rule is not None and now <= rule[1] < was:
            specs.append(jobs.JobSpec("purchase_reorder", {"ruleId": rule[0], "variantId": variant_id,
                                                           "warehouseId": warehouse_id}))
    return jobs.create_jobs(specs) if specs else []
