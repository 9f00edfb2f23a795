"""What every notification provider shares: the outgoing message, the interface, the
rejection error and the call timeout."""

from __future__ import annotations

from dataclasses import dataclass

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
    delivers = True  # False: the message only goes to a log (its notification ends `logged`)

    def send(self, message: OutgoingMessage) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError
