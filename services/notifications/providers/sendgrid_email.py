"""Email through SendGrid's v3 Mail Send API with the official `sendgrid` SDK.

`SENDGRID_API_HOST` (settings.sendgrid_api_host) points the SDK elsewhere
(tests use a local fake server). SendGrid has no idempotency key for Mail
Send; each message carries `custom_args.notification_id`, which SendGrid
echoes in its event webhook, so a duplicate (possible only when a response
was lost after SendGrid accepted the message, see services.notifications)
can be recognised downstream. The SendGrid message id is the
`X-Message-Id` response header.
"""

from __future__ import annotations

import socket
import urllib.error

import python_http_client.exceptions
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail

import config
from services.errors import TransientError
from services.notifications.providers.base import PROVIDER_TIMEOUT_SECONDS, OutgoingMessage, Provider, ProviderRejected


class SendGridEmailProvider(Provider):
    """`send(message)` posts one email to `/v3/mail/send` (202 expected)."""

    name = "sendgrid"

    def __init__(self, settings: config.Settings):
        self.settings = settings

    def build_mail(self, message: OutgoingMessage) -> Mail:
        """The SDK Mail object: from EMAIL_FROM, text and (optional) HTML parts, custom_args."""
        mail = Mail(from_email=self.settings.email_from, to_emails=message.to, subject=message.subject,
                    plain_text_content=message.text, html_content=message.html or None)
        mail.custom_arg = CustomArg("notification_id", message.notification_id)
        return mail

    def send(self, message: OutgoingMessage) -> str | None:
        client = SendGridAPIClient(api_key=self.settings.sendgrid_api_key, host=self.settings.sendgrid_api_host)
        client.client.timeout = PROVIDER_TIMEOUT_SECONDS
        try:
            response = client.send(self.build_mail(message))
        except python_http_client.exceptions.HTTPError as exc:
            status = int(getattr(exc, "status_code", 0) or 0)
            body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
            text = f"SendGrid HTTP {status}: {body[:300]}"
            if status >= 500 or status == 429:
                raise TransientError(text) from None
            raise ProviderRejected(text, reason="provider_rejected") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            raise TransientError(f"SendGrid unreachable: {exc}") from None
        headers = response.headers
        return headers.get("X-Message-Id") if headers is not None else None
