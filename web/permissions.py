"""The permission matrix: which roles may use each staff, courier and admin route.

`PERMISSIONS` names what a role may do; `ROUTES` gives, for every route that is not open to
every signed-in customer, the permission it needs: `(HTTP method, Flask URL rule)` ->
permission. `enforce_route_permission()` runs before each request's arguments are parsed
(`web.create_app`): a guest gets 401, a signed-in caller whose role lacks the permission
403 `insufficient_role`. Views keep their own role checks (`require_staff`, `require_admin`)
as a second line; tests/api/test_permissions.py walks every route of the OpenAPI document
as a guest, a customer, a courier, staff and an admin and checks that what each gets is what
this matrix says, and that every view with a role check is listed here.

Roles (`models.users.ROLES`): customer, courier (seed 003's livreur: deliveries only), staff
(the shop's team: catalog stock, orders, templates), admin (everything, including users,
models, fraud, imports and jobs). Routes that filter by the caller (their own orders, carts,
wishlists) are open to every signed-in role and check ownership themselves.
"""

from __future__ import annotations

from flask import request

from models.users import User
from services.errors import NotAllowed
from web.security import require_user

STAFF_AND_ADMIN = frozenset({"staff", "admin"})
ADMIN = frozenset({"admin"})
DELIVERY = frozenset({"courier", "staff", "admin"})

PERMISSIONS: dict[str, frozenset] = {
    "catalog:write": ADMIN,  # create, edit and archive products; imports
    "catalog:stock": STAFF_AND_ADMIN,  # set stock levels; list draft and archived products
    "orders:manage": STAFF_AND_ADMIN,  # move orders through fulfilment
    "deliveries:work": DELIVERY,  # a courier's deliveries (issue 10)
    "notifications:templates": STAFF_AND_ADMIN,
    "notifications:send": ADMIN,  # direct and bulk messages
    "jobs:admin": ADMIN,  # failed jobs, retries, probes
    "fraud:admin": ADMIN,  # rules, reviews, assessments
    "ml:admin": ADMIN,  # training, model versions
    "users:admin": ADMIN,  # roles, disabling accounts
    "audit:read": ADMIN,
}
"""permission -> the roles that have it."""

ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/products"): "catalog:write",
    ("PUT", "/api/v1/products/<product:product_id>"): "catalog:write",
    ("DELETE", "/api/v1/products/<product:product_id>"): "catalog:write",
    ("PUT", "/api/v1/products/<product:product_id>/stock"): "catalog:stock",
    ("POST", "/api/v1/admin/imports/products"): "catalog:write",
    ("PUT", "/api/v1/orders/<order:order_id>/status"): "orders:manage",
    ("GET", "/api/v1/notifications/templates"): "notifications:templates",
    ("POST", "/api/v1/notifications/email"): "notifications:send",
    ("POST", "/api/v1/notifications/sms"): "notifications:send",
    ("POST", "/api/v1/notifications/bulk"): "notifications:send",
    ("POST", "/api/v1/jobs/probes"): "jobs:admin",
    ("GET", "/api/v1/admin/jobs/failed"): "jobs:admin",
    ("POST", "/api/v1/admin/jobs/<id(job):job_id>/retry"): "jobs:admin",
    ("GET", "/api/v1/admin/fraud/rules"): "fraud:admin",
    ("POST", "/api/v1/admin/fraud/rules"): "fraud:admin",
    ("GET", "/api/v1/admin/fraud/rules/<id(frr):rule_id>"): "fraud:admin",
    ("PATCH", "/api/v1/admin/fraud/rules/<id(frr):rule_id>"): "fraud:admin",
    ("DELETE", "/api/v1/admin/fraud/rules/<id(frr):rule_id>"): "fraud:admin",
    ("POST", "/api/v1/admin/fraud/rules/reorder"): "fraud:admin",
    ("GET", "/api/v1/admin/fraud/reviews"): "fraud:admin",
    ("POST", "/api/v1/admin/fraud/reviews/<order:order_id>/approve"): "fraud:admin",
    ("POST", "/api/v1/admin/fraud/reviews/<order:order_id>/reject"): "fraud:admin",
    ("GET", "/api/v1/admin/fraud/orders/<order:order_id>/assessment"): "fraud:admin",
    ("POST", "/api/v1/admin/ml/fraud/train"): "ml:admin",
    ("GET", "/api/v1/admin/ml/fraud/models"): "ml:admin",
    ("GET", "/api/v1/admin/ml/fraud/models/<id(mdl):version_id>"): "ml:admin",
    ("POST", "/api/v1/admin/ml/fraud/models/<id(mdl):version_id>/activate"): "ml:admin",
    ("POST", "/api/v1/admin/ml/fraud/rollback"): "ml:admin",
    ("GET", "/api/v1/recommendations/model"): "ml:admin",
    ("POST", "/api/v1/recommendations/train"): "ml:admin",
    ("GET", "/api/v1/admin/users"): "users:admin",
    ("PUT", "/api/v1/admin/users/<id(usr):user_id>/role"): "users:admin",
    ("PUT", "/api/v1/admin/users/<id(usr):user_id>/status"): "users:admin",
    ("GET", "/api/v1/admin/audit-log"): "audit:read",
}
"""(method, URL rule) -> the permission the route needs."""


def allowed(user: User | None, permission: str) -> bool:
    """Whether `user` (None: a guest) has `permission`. Raises KeyError for an unknown permission."""
    roles = PERMISSIONS[permission]
    return user is not None and user.is_active and user.role in roles


def require_permission(permission: str) -> User:
    """The signed-in caller if their role has `permission`; 401 for a guest, 403 otherwise."""
    user = require_user()
    if not allowed(user, permission):
        raise NotAllowed("You are not allowed to do this", reason="insufficient_role")
    return user


def route_permission(method: str, rule: str) -> str | None:
    """The permission `(method, rule)` needs, or None (open, or any signed-in caller)."""
    return ROUTES.get((method.upper(), rule))


def enforce_route_permission() -> None:
    """Before a request's arguments are read: check the matrix for its route (401 / 403)."""
    if request.url_rule is None:
        return
    permission = route_permission(request.method, request.url_rule.rule)
    if permission is not None:
        require_permission(permission)
