"""Notification providers: one per channel, chosen by configuration.

- email: SendGrid (official `sendgrid` SDK) when `SENDGRID_API_KEY` is set,
  else the console provider;
- sms: Twilio (official `twilio` SDK) when `TWILIO_ACCOUNT_SID`,
  `TWILIO_AUTH_TOKEN` and `TWILIO_FROM` are set, else the console provider;
- in_app: the in-app provider (the Notification row is the message).

`provider.send(message)` returns the provider's message id (or None). It raises
`TransientError` for failures worth retrying (HTTP 5xx, 429, timeouts, refused
connections) and `ProviderRejected` (a DomainError, not retried) when the
provider refused the message (other 4xx).
"""

from __future__ import annotations

from dataclasses import dataclass

import config
from services.errors import DomainError

PROVIDER_TIMEOUT_SECONDS = 10.0


class ProviderRejected(DomainError):
    """The provider refused the message (HTTP 4xx other than 429): not retried."""

    status = 502
    code = "PROVIDER_ERROR"
    reason = "provider_rejected"


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message for one recipient: `to` is an email address, an E.164 phone
    number or a user id (in-app); `html` is only used by email."""

    notification_id: str
    channel: str
    to: str
    subject: str
    text: str
    html: str | None = None


class Provider:
    """Interface: `name` and `send(message) -> provider message id | None`."""

    name = "base"

    def send(self, message: OutgoingMessage) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError


def provider_for(channel: str, settings: config.Settings | None = None) -> Provider:
    """The provider for `channel` under `settings` (default: the process settings).
    Raises ValueError for an unknown channel."""
    settings = settings or config.get()
    if channel == "email":
        if settings.sendgrid_api_key:
            from services.notification_providers.sendgrid_email import SendGridEmailProvider

            return SendGridEmailProvider(settings)
        from services.notification_providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "sms":
        if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
            from services.notification_providers.twilio_sms import TwilioSmsProvider

            return TwilioSmsProvider(settings)
        from services.notification_providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "in_app":
        from services.notification_providers.console import InAppProvider

        return InAppProvider()
    raise ValueError(f"unknown channel {channel!r}")
