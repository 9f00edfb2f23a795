"""Every successful write by staff, a courier, an admin or an API key lands in the audit log
(services.platform.audit): who (user id and role), what (`METHOD /url/rule`), on what (the
route's id argument: `product_id` -> target type `product`), before (the target's view,
read before the view runs, for the targets in `SNAPSHOTS`) and after (the answer's `data`),
the request id, the client IP and the time.

`install(app)` adds a before-request hook (the "before" snapshot) and an after-request hook
(the entry). The entry is written after the write committed: a process killed between the
two loses that one entry (it is logged as `audit_write_failed` when the insert itself fails).
Customers' own writes (carts, orders, wishlists) are not audited: they are the shop's
business records already.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request

from models.users import User
from services import catalog, content, customers, fraud, orders
from services.errors import DomainError
from services.platform import audit
from web.request_info import client_ip, request_id

log = logging.getLogger("cartwheel.audit")

AUDITED_ROLES = frozenset({"staff", "courier", "admin"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _product(product_id: str) -> dict:
    from web.products import product_to_dict

    return product_to_dict(catalog.product_view(catalog.get_product(product_id, include_inactive=True)), detail=True)


def _category(category_id: str) -> dict:
    from web.categories import category_view

    return category_view(category_id)


def _order(order_id: str) -> dict:
    return orders.order_view(orders.get_order(order_id, _actor()))


def _user(user_id: str) -> dict:
    return customers.admin_user_view(customers.get_user(user_id))


def _fraud_rule(rule_id: str) -> dict:
    return fraud.rule_to_dict(fraud.get_rule(rule_id))


def _shipping_zone(zone_id: str) -> dict:
    return orders.zone_view(orders.get_zone(zone_id))


def _store(store_id: str) -> dict:
    return content.store_view(content.get_store(store_id, as_admin=True), editor=True)


SNAPSHOTS = {"product_id": _product, "category_id": _category, "order_id": _order, "user_id": _user,
             "rule_id": _fraud_rule, "zone_id": _shipping_zone, "store_id": _store}
"""route id argument -> how to read its target's API view (the entry's `before`)."""


def _actor() -> User | None:
    """The signed-in staff, courier or admin caller (an API key's owner), or None."""
    if not (request.headers.get("Authorization") or request.headers.get("x-api-key")):
        return None
    try:
        from web.security import current_user

        user = current_user()
    except DomainError:
        return None
    return user if user is not None and user.role in AUDITED_ROLES else None


def _api_key_id() -> str | None:
    key = getattr(g, "_api_key", None)
    return key.id if key is not None else None


def _target() -> tuple[str | None, str | None, str | None]:
    """(argument name, target type, target id) of the route's first `*_id` argument."""
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id"):
            return name, name[:-3], str(value)
    return None, None, None


def _before() -> None:
    g.audit_before = None
    if request.method not in WRITES or request.url_rule is None or _actor() is None:
        return
    name, _, target_id = _target()
    snapshot = SNAPSHOTS.get(name)
    if snapshot is None:
        return
    try:
        g.audit_before = snapshot(target_id)
    except DomainError:  # the target does not exist: the view answers its 404
        g.audit_before = None


def _after(response):
    if request.method not in WRITES or request.url_rule is None or response.status_code >= 400:
        return response
    actor = _actor()
    if actor is None and _api_key_id() is None:
        return response
    _, target_type, target_id = _target()
    after = None
    if response.is_json:
        body = response.get_json(silent=True)
        after = body.get("data") if isinstance(body, dict) else None
        if target_id is None and isinstance(after, dict) and isinstance(after.get("id"), str):
            target_type, target_id = request.url_rule.rule.rstrip("/").rsplit("/", 1)[-1], after["id"]
    try:
        audit.record(action=f"{request.method} {request.url_rule.rule}", status=response.status_code,
                     actor_id=actor.id if actor else None, actor_role=actor.role if actor else None,
                     api_key_id=_api_key_id(),
                     target_type=target_type, target_id=target_id,
                     before=getattr(g, "audit_before", None), after=after, request_id=request_id(), ip=client_ip())
    except Exception:  # noqa: BLE001 - the write stands; the gap is logged
        log.error("audit_write_failed: %s %s by %s", request.method, request.url_rule.rule,
                  actor.id if actor else _api_key_id(), exc_info=True)
    return response


def install(app: Flask) -> None:
    """Register the audit hooks on `app` (after the authentication hook)."""
    app.before_request(_before)
    app.after_request(_after)
