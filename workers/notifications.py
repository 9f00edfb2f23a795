"""Queue `notifications`: domain-event fan-out, one send per notification, bulk messages."""

from services import notifications  # noqa: F401 - subscribes the fan-out to the domain events
from services.platform import events
from workers.actor import job_actor

fan_out_event = job_actor("event_fanout", "fan_out_event", events.run_event_job)
send_notification = job_actor("notification_send", "send_notification", notifications.send_notification_job)
send_bulk_notifications = job_actor("notification_bulk", "send_bulk_notifications", notifications.run_bulk_job)
