"""Every stable error `reason` the API can answer with: the registry of each domain package
(`services.<package>.REASONS`), the generic ones of `services.errors`, and the HTTP layer's
own (`HTTP_REASONS`). Published in OpenAPI as the enum of the error envelope's `reason`.
"""

from __future__ import annotations

from services import (catalog, customers, errors, fraud, maintenance, notifications, orders, payments, platform,
                      recommendations)
from services import analytics
from services import content
from services import loyalty
from services import wallet

HTTP_REASONS = {
    "authentication_required": "The endpoint needs a Bearer access token",
    "bad_authorization": "The Authorization header is not 'Bearer <token>'",
    "body_required": "The operation needs a request body and none was sent",
    "insufficient_role": "The caller's role may not do this",
    "invalid_product_ids": "The list of product ids is empty, too long or malformed",
    "json_too_deep": "The JSON body nests arrays and objects too deeply",
    "missing_file": "The upload has no 'file' part",
    "rate_limited": "A rate limit was exceeded (per IP, per auth route, per user's writes or per API key); "
                    "retry after Retry-After seconds",
    "realtime_unavailable": "The real-time server could not check a Socket.IO connection's token (database "
                            "unreachable); reconnect shortly",
    "too_many_streams": "This API process serves its maximum number of live streams",
    "unknown_fields": "The form has fields the endpoint does not take",
    "unknown_query_parameters": "The query string has parameters the operation does not document",
    "unreadable_body": "The request body could not be read (malformed chunked encoding, truncated)",
}

REGISTRIES: dict[str, dict[str, str]] = {
    "errors": errors.REASONS, "http": HTTP_REASONS, "platform": platform.REASONS, "catalog": catalog.REASONS,
    "customers": customers.REASONS, "orders": orders.REASONS, "payments": payments.REASONS,
    "fraud": fraud.REASONS, "notifications": notifications.REASONS, "recommendations": recommendations.REASONS,
    "maintenance": maintenance.REASONS,
    "analytics": analytics.REASONS,
    "loyalty": loyalty.REASONS,
    "content": content.REASONS,
    "wallet": wallet.REASONS,
}


def all_reasons() -> dict[str, str]:
    """reason -> meaning, over every registry (a reason is registered in exactly one)."""
    merged: dict[str, str] = {}
    for registry in REGISTRIES.values():
        merged.update(registry)
    return dict(sorted(merged.items()))
