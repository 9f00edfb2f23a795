"""SMS through Twilio's Messages API with the official `twilio` SDK.

`TWILIO_API_BASE` (settings.twilio_api_base) replaces the API domain's base
URL (`https://api.twilio.com`; tests use a local fake server). Twilio's
Messages API has no idempotency key: a retry after a lost response could
send twice, which services.notifications bounds (see its docstring). The
message id is the Message SID.
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

import config
from services.errors import TransientError
from services.notifications.providers.base import PROVIDER_TIMEOUT_SECONDS, OutgoingMessage, Provider, ProviderRejected

SMS_MAX_CHARS = 1600  # Twilio's limit for a message body


class TwilioSmsProvider(Provider):
    """`send(message)` creates one Message (POST /2010-04-01/Accounts/{sid}/Messages.json, 201 expected)."""

    name = "twilio"

    def __init__(self, settings: config.Settings):
        self.settings = settings

    def client(self) -> Client:
        """An SDK client with a request timeout, pointed at `TWILIO_API_BASE` when set."""
        client = Client(self.settings.twilio_account_sid, self.settings.twilio_auth_token,
                        http_client=TwilioHttpClient(timeout=PROVIDER_TIMEOUT_SECONDS))
        if self.settings.twilio_api_base:
            client.api.base_url = self.settings.twilio_api_base.rstrip("/")
        return client

    def send(self, message: OutgoingMessage) -> str:
        try:
            created = self.client().messages.create(to=message.to, from_=self.settings.twilio_from,
                                                    body=message.text[:SMS_MAX_CHARS])
        except TwilioRestException as exc:
            text = f"Twilio HTTP {exc.status} (code {exc.code}): {exc.msg}"[:400]
            if exc.status >= 500 or exc.status == 429:
                raise TransientError(text) from None
            raise ProviderRejected(text, reason="provider_rejected") from None
        except requests.RequestException as exc:
            raise TransientError(f"Twilio unreachable: {exc}"[:400]) from None
        return created.sid
