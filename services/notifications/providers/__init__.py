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

import config
from services.notifications.providers.base import PROVIDER_TIMEOUT_SECONDS, OutgoingMessage, Provider, ProviderRejected

__all__ = ["PROVIDER_TIMEOUT_SECONDS", "OutgoingMessage", "Provider", "ProviderRejected", "provider_for"]


def provider_for(channel: str, settings: config.Settings | None = None) -> Provider:
    """The provider for `channel` under `settings` (default: the process settings).
    Raises ValueError for an unknown channel."""
    settings = settings or config.get()
    if channel == "email":
        if settings.sendgrid_api_key:
            from services.notifications.providers.sendgrid_email import SendGridEmailProvider

            return SendGridEmailProvider(settings)
        from services.notifications.providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "sms":
        if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
            from services.notifications.providers.twilio_sms import TwilioSmsProvider

            return TwilioSmsProvider(settings)
        from services.notifications.providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "in_app":
        from services.notifications.providers.console import InAppProvider

        return InAppProvider()
    raise ValueError(f"unknown channel {channel!r}")
