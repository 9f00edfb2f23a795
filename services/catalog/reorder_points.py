"""Which stock changes cross a reorder point (services.catalog.reorder has the rules and the
job): kept apart so the stock writers (services.catalog.stock_alerts) need nothing of
purchasing but this."""

from __future__ import annotations

from models.jobs import Job
from models.purchasing import ReorderRule
from services.platform import jobs


def queue_reorders(warehouse_id: str, changes: dict[str, tuple[int, int]]) -> list[Job]:
    """`changes`: variant id -> (available before, available after) of one stock change in
    `warehouse_id`. Writes a `purchase_reorder` job for each active rule whose point the change
    crossed downwards; call inside the change's transaction. Returns the jobs."""
    if not changes:
        return []
    rules = ReorderRule.select(ReorderRule.id, ReorderRule.variant, ReorderRule.reorder_point).where(
        ReorderRule.variant.in_(list(changes)), ReorderRule.warehouse == warehouse_id,
        ReorderRule.is_active == True)  # noqa: E712
    specs = [jobs.JobSpec("purchase_reorder", {"ruleId": rule.id, "variantId": rule.variant_id,
                                               "warehouseId": warehouse_id})
             for rule in rules if changes[rule.variant_id][1] <= rule.reorder_point < changes[rule.variant_id][0]]
    return jobs.create_jobs(specs)
