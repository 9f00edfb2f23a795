"""The maintenance task list's stable error reasons, reason -> meaning."""

REASONS = {
    "unknown_maintenance_task": "A maintenance job names no known task",
}
