"""Notification providers: one per channel, chosen by configuration (`config.Settings.email_provider`,
`sms_provider`; see `EMAIL_PROVIDER` / `SMS_PROVIDER` in the README).

- email: SendGrid (official `sendgrid` SDK), or the console provider;
- sms: Twilio (official `twilio` SDK), or the console provider;
- in_app: the in-app provider (the Notification row is the message).

The console provider only stores and logs the message (`delivers = False`): its
notifications end `logged`, never `sent`. Production refuses to start with a real
provider's settings missing unless the console provider is chosen explicitly.

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
        if settings.email_provider == "sendgrid":
            from services.notifications.providers.sendgrid_email import SendGridEmailProvider

            return SendGridEmailProvider(settings)
        from services.notifications.providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "sms":
        if settings.sms_provider == "twilio":
            from services.notifications.providers.twilio_sms import TwilioSmsProvider

            return TwilioSmsProvider(settings)
        from services.notifications.providers.console import ConsoleProvider

        return ConsoleProvider()
    if channel == "in_app":
        from services.notifications.providers.console import InAppProvider

        return InAppProvider()
    raise ValueError(f"unknown channel {channel!r}")
