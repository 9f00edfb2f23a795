"""Domain errors. Each has an HTTP `status`, an envelope `code` and a stable snake_case `reason`.

A view turns one into the `{"error": {...}}` envelope; an actor fails the job
with it and does not retry (only `TransientError` is retried).

Reasons are stable API: each domain package lists the reasons it owns in its
`reasons.py` (`REASONS`, reason -> meaning, re-exported by the package); the
generic ones of the classes below are in `REASONS` here. `web.reasons` gathers
them for the OpenAPI enum, and a test checks that every reason raised anywhere
is registered exactly once.
"""

REASONS = {
    "authentication_failed": "Authentication failed",
    "conflict": "The request conflicts with the current state",
    "invalid_request": "The request breaks a business rule",
    "invalid_status": "Unknown status filter or value",
    "not_allowed": "The caller may not do this",
    "not_found": "No such resource",
    "out_of_stock": "Not enough units on hand",
    "payload_too_large": "The upload is larger than its limit",
    "payment_failed": "The payment was declined or failed",
    "too_many_attempts": "Too many attempts; retry after the Retry-After delay",
    "validation_failed": "The request is invalid",
}


class DomainError(Exception):
    """A business rule said no. `details` is a list of `{"field", "message"}`."""

    status = 400
    code = "VALIDATION_ERROR"
    reason = "invalid_request"

    def __init__(self, message: str, reason: str | None = None, details: list | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        if status:
            self.status = status
        self.details = details or []

    def to_dict(self) -> dict:
        """The error as stored in a failed job's `error`: code, reason, message, details."""
        return {"code": self.code, "reason": self.reason, "message": self.message, "details": self.details}


class ValidationFailed(DomainError):
    status = 422
    code = "VALIDATION_ERROR"
    reason = "validation_failed"

    @classmethod
    def for_field(cls, field: str, message: str, reason: str | None = None) -> "ValidationFailed":
        """A 422 about one input field: `message` also as the one detail `{"field", "message"}`
        (`field` a dotted path of the request body, e.g. `requirements.location`)."""
        return cls(message, reason=reason, details=[{"field": field, "message": message}])


class PayloadTooLarge(DomainError):
    """An upload larger than its limit (413); each upload's subclass names its own reason."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"
    reason = "payload_too_large"


class NotFound(DomainError):
    status = 404
    code = "RESOURCE_NOT_FOUND"
    reason = "not_found"


class AuthenticationFailed(DomainError):
    status = 401
    code = "AUTHENTICATION_ERROR"
    reason = "authentication_failed"


class NotAllowed(DomainError):
    status = 403
    code = "AUTHORIZATION_ERROR"
    reason = "not_allowed"


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"
    reason = "conflict"


class InsufficientStock(DomainError):
    status = 409
    code = "INVENTORY_ERROR"
    reason = "out_of_stock"


class PaymentFailed(DomainError):
    """The payment was refused (402). `decline_code`: why, for a declined card (Stripe's
    `decline_code`, e.g. `insufficient_funds`, else its error code, e.g. `card_declined`); it is
    kept in the failed job's error as `declineCode`."""

    status = 402
    code = "PAYMENT_ERROR"
    reason = "payment_failed"

    def __init__(self, message: str, reason: str | None = None, details: list | None = None,
                 status: int | None = None, decline_code: str | None = None):
        super().__init__(message, reason=reason, details=details, status=status)
        self.decline_code = decline_code

    def to_dict(self) -> dict:
        error = super().to_dict()
        if self.decline_code:
            error["declineCode"] = self.decline_code
        return error


class TooManyAttempts(DomainError):
    """The caller must wait before trying again (429). `retry_after` is the wait in whole
    seconds (>= 1); the web layer sends it as `Retry-After`."""

    status = 429
    code = "RATE_LIMITED"
    reason = "too_many_attempts"

    def __init__(self, message: str, retry_after: int, reason: str | None = None, details: list | None = None):
        super().__init__(message, reason=reason, details=details)
        self.retry_after = max(1, int(retry_after))


class TransientError(Exception):
    """A failure worth retrying (provider 5xx, timeout, lost connection)."""
