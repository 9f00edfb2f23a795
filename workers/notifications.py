"""Notification actors (queue `notifications`): event fan-out, one send per notification, bulk messages."""

import dramatiq

from services import notifications
from services.jobs import JOB_TYPES
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="fan_out_event", queue_name="notifications", max_retries=0,
                time_limit=JOB_TYPES["event_fanout"].time_limit * 1000)
def fan_out_event(job_id: str) -> None:
    """Run `event_fanout` job `job_id` (see services.notifications.fan_out_event)."""
    run_job(job_id, notifications.fan_out_event)


@dramatiq.actor(actor_name="send_notification", queue_name="notifications", max_retries=0,
                time_limit=JOB_TYPES["notification_send"].time_limit * 1000)
def send_notification(job_id: str) -> None:
    """Run `notification_send` job `job_id` (see services.notifications.send_notification_job)."""
    run_job(job_id, notifications.send_notification_job)


@dramatiq.actor(actor_name="send_bulk_notifications", queue_name="notifications", max_retries=0,
                time_limit=JOB_TYPES["notification_bulk"].time_limit * 1000)
def send_bulk_notifications(job_id: str) -> None:
    """Run `notification_bulk` job `job_id` (see services.notifications.run_bulk_job)."""
    run_job(job_id, notifications.run_bulk_job)


register("event_fanout", fan_out_event)
register("notification_send", send_notification)
register("notification_bulk", send_bulk_notifications)
