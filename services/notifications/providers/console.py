"""Providers that need no outside service: the console provider (embedded mode, no
keys set) and the in-app provider."""

from __future__ import annotations

import logging

from models.notifications import OutboxMessage
from services.notifications.providers.base import OutgoingMessage, Provider

log = logging.getLogger("cartwheel.outbox")


class ConsoleProvider(Provider):
    """Stores the rendered message in the `outbox_message` table and logs it; nothing leaves
    the shop, so its notifications are recorded `logged`, not `sent`.

    Returns the outbox row id as the message id. One row per call, so a
    duplicate send would be visible as a second row. The log line shows an email's subject and
    an SMS's text (in `make run`, that is where an OTP login code can be read).
    """

    name = "console"
    delivers = False
    verifiable = True

    def find_delivered(self, notification_id: str) -> str | None:
        """The id of the notification's outbox row, or None when it has none."""
        row = OutboxMessage.select(OutboxMessage.id).where(OutboxMessage.notification == notification_id).first()
        return row.id if row is not None else None

    def send(self, message: OutgoingMessage) -> str:
        row = OutboxMessage.create(notification=message.notification_id, channel=message.channel,
                                   recipient=message.to, subject=message.subject[:500], body=message.text,
                                   html=message.html)
        shown = message.text[:160] if message.channel == "sms" else (message.subject or message.text[:80])
        log.info("outbox %s %s to %s: %s", row.id, message.channel, message.to, shown)
        return row.id


class InAppProvider(Provider):
    """In-app notifications are the Notification rows themselves: sending marks them delivered."""

    name = "in_app"
    verifiable = True  # the Notification row is the delivery: sending again is harmless

    def send(self, message: OutgoingMessage) -> None:
        return None
