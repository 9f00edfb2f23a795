"""Notifications (DESIGN.md section 5): event fan-out, rendering, sending, preferences,
in-app reads, history, admin direct and bulk messages.

The package is split by idea; each module's docstring has the details:
- `events`: the notified events (`EVENTS`, `EventSpec`) and shared names;
- `preferences`: users' channel and category switches and `channels_for` (Channels);
- `rendering`: the Jinja2 templates under templates/notifications (`render`);
- `fanout`: the `event_fanout` job handler, recipients and batches (Flow, Recipients);
- `sending`: the `notification_send` job handler and its at-most-once guarantees
  (Sending: never twice, the outcome-unknown window, retries);
- `admin`: admin direct messages and bulk messages (`notification_bulk` handler);
- `inbox`: the in-app list, mark read, and the notification history.
- `providers`: SendGrid, Twilio, console and in-app providers, chosen by configuration.
Lower modules never import higher ones (events, preferences -> rendering, fanout ->
sending, admin; inbox stands alone). Everything callers use is re-exported here.
Importing this package subscribes `fan_out_event` to every notified domain event
(`services.platform.events`).
"""

from __future__ import annotations

from services.notifications.admin import BULK_AUDIENCES, run_bulk_job, start_bulk, start_direct
from services.notifications.events import BULK_TEMPLATE, DIRECT_TEMPLATE, EVENTS, ORDER_EVENTS, SHOP_NAME, EventSpec
from services.notifications.fanout import FANOUT_BATCH, Recipient, fan_out_event, resolve_event
from services.notifications.inbox import (in_app_view, list_history, list_in_app, mark_all_read, mark_read,
                                          notification_view)
from services.notifications.preferences import (CATEGORIES, DEFAULT_CATEGORIES, DEFAULT_CHANNELS, E164, channels_for,
                                                preferences_of, preferences_view, update_preferences)
from services.notifications.reasons import REASONS
from services.notifications.rendering import SMS_MAX_CHARS, TEMPLATE_DIR, Rendered, list_templates, render, template_env
from services.notifications.sending import send_notification_job
from services.platform import events as domain_events

__all__ = [
    "BULK_AUDIENCES", "BULK_TEMPLATE", "CATEGORIES", "DEFAULT_CATEGORIES", "DEFAULT_CHANNELS", "DIRECT_TEMPLATE",
    "E164", "EVENTS", "FANOUT_BATCH", "ORDER_EVENTS", "REASONS", "SHOP_NAME", "SMS_MAX_CHARS", "TEMPLATE_DIR",
    "EventSpec", "Recipient", "Rendered", "channels_for", "fan_out_event", "in_app_view", "list_history",
    "list_in_app", "list_templates", "mark_all_read", "mark_read", "notification_view", "preferences_of",
    "preferences_view", "render", "resolve_event", "run_bulk_job", "send_notification_job", "start_bulk",
    "start_direct", "template_env", "update_preferences",
]

domain_events.subscribe(EVENTS, fan_out_event)
