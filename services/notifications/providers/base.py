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
    verifiable = False  # True: find_delivered() answers for certain, so an interrupted send can be settled

    def find_delivered(self, notification_id: str) -> str | None:
        """The provider message id of notification `notification_id` if this provider shows it
        delivered, else None. Only a `verifiable` provider's None means "not delivered"; others
        cannot tell (SendGrid and Twilio keep no lookup by our id that a send key can read)."""
        return None

    def send(self, message: OutgoingMessage) -> str | None:  # pragma: no cover - interface
        raise NotImplementedError
