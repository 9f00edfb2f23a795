"""The permission matrix: which roles may use each staff, courier and admin route.

`PERMISSIONS` names what a role may do; `ROUTES` gives, for every route that is not open to
every signed-in customer, the permission it needs: `(HTTP method, Flask URL rule)` ->
permission. `enforce_route_permission()` runs before each request's arguments are parsed
(`web.create_app`): a guest gets 401, a signed-in caller whose role lacks the permission
403 `insufficient_role`. Views keep their own role checks (`require_staff`, `require_admin`)
as a second line; tests/api/test_permissions.py walks every route of the OpenAPI document
as a guest, a customer, a courier, staff and an admin and checks that what each gets is what
this matrix says, and that every view with a role check is listed here.

The permissions and their roles are services.customers.permissions' (`PERMISSIONS`). Routes
that filter by the caller (their own orders, carts, wishlists) are open to every signed-in role
and check ownership themselves; an API key (services.customers.api_keys) reaches a route only
when the route's permission is one of its scopes (`API_KEY_ROUTES` gives the customers' routes
an integration may read with a scope).
"""

from __future__ import annotations

from flask import g, request

from models.users import User
from services import customers
from services.customers import PERMISSIONS, allowed  # noqa: F401 (PERMISSIONS: the matrix's)
from services.errors import NotAllowed
from web.security import require_user

ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/products"): "catalog:write",
    ("PUT", "/api/v1/products/<product:product_id>"): "catalog:write",
    ("DELETE", "/api/v1/products/<product:product_id>"): "catalog:write",
    ("PUT", "/api/v1/products/<product:product_id>/stock"): "catalog:stock",
    ("GET", "/api/v1/inventory/low-stock"): "catalog:stock",
    ("POST", "/api/v1/inventory/restock"): "catalog:stock",
    ("GET", "/api/v1/inventory/reports"): "catalog:stock",
    ("GET", "/api/v1/inventory/reports/<id(job):job_id>"): "catalog:stock",
    ("GET", "/api/v1/inventory/reports/<id(job):job_id>/csv"): "catalog:stock",
    ("POST", "/api/v1/admin/imports/products"): "catalog:write",
    ("POST", "/api/v1/categories"): "catalog:write",
    ("PUT", "/api/v1/categories/<id(cat):category_id>"): "catalog:write",
    ("DELETE", "/api/v1/categories/<id(cat):category_id>"): "catalog:write",
    ("POST", "/api/v1/seo/slug"): "catalog:write",
    ("GET", "/api/v1/warehouses"): "catalog:stock",
    ("POST", "/api/v1/warehouses"): "catalog:write",
    ("GET", "/api/v1/warehouses/<id(wh):warehouse_id>"): "catalog:stock",
    ("PUT", "/api/v1/warehouses/<id(wh):warehouse_id>"): "catalog:write",
    ("DELETE", "/api/v1/warehouses/<id(wh):warehouse_id>"): "catalog:write",
    ("POST", "/api/v1/inventory/transfer"): "catalog:stock",
    ("PUT", "/api/v1/orders/<order:order_id>/courier"): "orders:manage",
    ("POST", "/api/v1/orders/<order:order_id>/refunds"): "orders:manage",
    ("GET", "/api/v1/deliveries"): "deliveries:work",
    ("GET", "/api/v1/disputes"): "disputes:read",
    ("GET", "/api/v1/disputes/<id(dsp):dispute_id>"): "disputes:read",
    ("POST", "/api/v1/disputes/<id(dsp):dispute_id>/release-hold"): "disputes:manage",
    ("PUT", "/api/v1/orders/<order:order_id>/delivery"): "deliveries:work",
    ("POST", "/api/v1/orders/<order:order_id>/delivery/proof"): "deliveries:work",
    ("POST", "/api/v1/videos"): "videos:create",
    ("PUT", "/api/v1/videos/<id(vid):video_id>"): "videos:create",
    ("DELETE", "/api/v1/videos/<id(vid):video_id>"): "videos:create",
    ("POST", "/api/v1/videos/<id(vid):video_id>/comments/<id(vcm):comment_id>/approve"): "videos:moderate",
    ("POST", "/api/v1/videos/<id(vid):video_id>/comments/<id(vcm):comment_id>/reject"): "videos:moderate",
    ("GET", "/api/v1/shipping/zones"): "shipping:manage",
    ("GET", "/api/v1/homepage/banners"): "content:write",
    ("POST", "/api/v1/homepage/banners"): "content:write",
    ("GET", "/api/v1/homepage/banners/<id(ban):banner_id>"): "content:write",
    ("PUT", "/api/v1/homepage/banners/<id(ban):banner_id>"): "content:write",
    ("DELETE", "/api/v1/homepage/banners/<id(ban):banner_id>"): "content:write",
    ("POST", "/api/v1/shipping/zones"): "shipping:manage",
    ("GET", "/api/v1/shipping/zones/<id(shz):zone_id>"): "shipping:manage",
    ("PUT", "/api/v1/shipping/zones/<id(shz):zone_id>"): "shipping:manage",
    ("DELETE", "/api/v1/shipping/zones/<id(shz):zone_id>"): "shipping:manage",
    ("POST", "/api/v1/recipes"): "content:write",
    ("PUT", "/api/v1/recipes/<string:recipe_id>"): "content:write",
    ("DELETE", "/api/v1/recipes/<string:recipe_id>"): "content:write",
    ("GET", "/api/v1/wallet/withdrawals"): "wallet:manage",
    ("POST", "/api/v1/wallet/withdrawals/<id(wdr):withdrawal_id>/approve"): "wallet:manage",
    ("POST", "/api/v1/wallet/withdrawals/<id(wdr):withdrawal_id>/reject"): "wallet:manage",
    ("POST", "/api/v1/wallet/withdrawals/<id(wdr):withdrawal_id>/mark-paid"): "wallet:manage",
    ("POST", "/api/v1/earn/projects"): "earn:manage",
    ("PUT", "/api/v1/earn/projects/<id(prj):project_id>"): "earn:manage",
    ("GET", "/api/v1/earn/submissions"): "earn:manage",
    ("POST", "/api/v1/earn/submissions/<id(sub):submission_id>/approve"): "earn:manage",
    ("POST", "/api/v1/earn/submissions/<id(sub):submission_id>/reject"): "earn:manage",
    ("GET", "/api/v1/promos"): "promotions:manage",
    ("POST", "/api/v1/promos"): "promotions:manage",
    ("GET", "/api/v1/promos/<id(disc):promo_id>"): "promotions:manage",
    ("PUT", "/api/v1/promos/<id(disc):promo_id>"): "promotions:manage",
    ("DELETE", "/api/v1/promos/<id(disc):promo_id>"): "promotions:manage",
    ("POST", "/api/v1/loyalty/tiers"): "loyalty:admin",
    ("PUT", "/api/v1/loyalty/tiers/<id(tier):tier_id>"): "loyalty:admin",
    ("DELETE", "/api/v1/loyalty/tiers/<id(tier):tier_id>"): "loyalty:admin",
    ("GET", "/api/v1/suppliers"): "catalog:stock",
    ("POST", "/api/v1/suppliers"): "catalog:stock",
    ("GET", "/api/v1/suppliers/<id(sup):supplier_id>"): "catalog:stock",
    ("PUT", "/api/v1/suppliers/<id(sup):supplier_id>"): "catalog:stock",
    ("DELETE", "/api/v1/suppliers/<id(sup):supplier_id>"): "catalog:stock",
    ("GET", "/api/v1/purchase-orders"): "catalog:stock",
    ("POST", "/api/v1/purchase-orders"): "catalog:stock",
    ("GET", "/api/v1/purchase-orders/<id(po):purchase_order_id>"): "catalog:stock",
    ("PUT", "/api/v1/purchase-orders/<id(po):purchase_order_id>"): "catalog:stock",
    ("POST", "/api/v1/purchase-orders/<id(po):purchase_order_id>/send"): "catalog:stock",
    ("POST", "/api/v1/purchase-orders/<id(po):purchase_order_id>/receive"): "catalog:stock",
    ("POST", "/api/v1/purchase-orders/<id(po):purchase_order_id>/cancel"): "catalog:stock",
    ("GET", "/api/v1/inventory/reorder-rules"): "catalog:stock",
    ("PUT", "/api/v1/inventory/reorder-rules"): "catalog:stock",
    ("DELETE", "/api/v1/inventory/reorder-rules/<id(rr):rule_id>"): "catalog:stock",
    ("POST", "/api/v1/admin/sitemap"): "catalog:write",
    ("PUT", "/api/v1/orders/<order:order_id>/status"): "orders:manage",
    ("POST", "/api/v1/orders/<order:order_id>/notifications"): "orders:manage",
    ("GET", "/api/v1/customers"): "customers:manage",
    ("POST", "/api/v1/customers"): "customers:manage",
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
    ("PUT", "/api/v1/admin/users/<id(usr):user_id>/customer-group"): "users:admin",
    ("PUT", "/api/v1/admin/users/<id(usr):user_id>/status"): "users:admin",
    ("GET", "/api/v1/admin/audit-log"): "audit:read",
    ("GET", "/api/v1/metrics/prometheus"): "operations:read",  # or the scrape token (web.metrics)
    ("GET", "/api/v1/health/detailed"): "operations:read",
    ("GET", "/api/v1/status/dependencies"): "operations:read",
    ("POST", "/api/v1/admin/cache/purge"): "cache:admin",
    ("GET", "/api/v1/admin/api-keys"): "api_keys:admin",
    ("POST", "/api/v1/admin/api-keys"): "api_keys:admin",
    ("POST", "/api/v1/admin/api-keys/<id(ck):key_id>/rotate"): "api_keys:admin",
    ("DELETE", "/api/v1/admin/api-keys/<id(ck):key_id>"): "api_keys:admin",
    ("GET", "/api/v1/admin/reviews"): "reviews:moderate",
    ("POST", "/api/v1/admin/reviews/<id(rev):review_id>/approve"): "reviews:moderate",
    ("POST", "/api/v1/admin/reviews/<id(rev):review_id>/reject"): "reviews:moderate",
    ("GET", "/api/v1/analytics/sales"): "analytics:read",
    ("GET", "/api/v1/analytics/products"): "analytics:read",
    ("GET", "/api/v1/analytics/users"): "analytics:read",
    ("GET", "/api/v1/analytics/revenue"): "analytics:read",
    ("GET", "/api/v1/analytics/dashboard"): "analytics:read",
    ("GET", "/api/v1/orders/analytics"): "analytics:read",
    ("POST", "/api/v1/analytics/rollup"): "analytics:rollup",
    ("POST", "/api/v1/stores"): "stores:manage",
    ("DELETE", "/api/v1/stores/<store_ref:store_id>"): "stores:manage",
}
"""(method, URL rule) -> the permission the route needs."""

API_KEY_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/orders"): "orders:read",
    ("GET", "/api/v1/orders/<order:order_id>"): "orders:read",
    ("GET", "/api/v1/jobs/<id(job):job_id>"): "jobs:read",
    ("GET", "/api/v1/jobs/<id(job):job_id>/events"): "jobs:read",
}
"""Routes every signed-in customer may use (their own objects) that an API key reaches only with
a scope: an integration is no customer, so it reads everyone's orders with `orders:read`."""


def require_permission(permission: str) -> User:
    """The signed-in caller if their role has `permission` (and, for an API key, the key has it as
    a scope); 401 for a guest, 403 otherwise (`insufficient_role`, `scope_missing`)."""
    user = require_user()
    if not allowed(user, permission):
        raise NotAllowed("You are not allowed to do this", reason="insufficient_role")
    if customers.mfa_required_for(user):
        raise NotAllowed("Turn on MFA (POST /auth/mfa/setup) before using staff routes", reason="mfa_required")
    key = getattr(g, "_api_key", None)
    if key is not None and permission not in key.scopes:
        raise NotAllowed(f"This API key lacks the scope {permission!r}", reason="scope_missing",
                         details=[{"field": "x-api-key", "message": f"needs {permission}"}])
    return user


def has_permission(user: User | None, permission: str) -> bool:
    """Whether `user` (None: a guest) may use `permission` in this request, as require_permission
    decides (role, MFA, an API key's scopes), without raising: for what a view shows only to some."""
    key = getattr(g, "_api_key", None)
    return allowed(user, permission) and not customers.mfa_required_for(user) and \
        (key is None or permission in key.scopes)


def route_permission(method: str, rule: str) -> str | None:
    """The permission `(method, rule)` needs, or None (open, or any signed-in caller)."""
    return ROUTES.get((method.upper(), rule))


def enforce_route_permission(operation: dict | None = None) -> None:
    """Before a request's arguments are read: check the matrix for its route (401 / 403). An API
    key reaches only routes with a permission it holds as a scope (`API_KEY_ROUTES` for the
    customers' own routes) and public ones, which it reads as a guest; any other signed-in
    route answers 403 `scope_missing`."""
    if request.url_rule is None:
        return
    key = (request.method.upper(), request.url_rule.rule)
    permission = ROUTES.get(key)
    if getattr(g, "_api_key", None) is not None:
        permission = permission or API_KEY_ROUTES.get(key)
        security = (operation or {}).get("security") or []
        if permission is None and security and {} not in security:
            raise NotAllowed("API keys act only through scoped routes", reason="scope_missing")
        if permission is None:
            g._current_user = None  # a guest's route: the key reads it as a guest, never as its owner
    if permission is not None:
        require_permission(permission)
