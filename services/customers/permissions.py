"""What each role may do: the permissions of the permission matrix (web.permissions maps
routes to them) and the scopes an API key may carry (`API_KEY_SCOPES`).

Roles (`models.users.ROLES`): customer, courier (seed 003's livreur: deliveries only), staff
(the shop's team: stock, orders, templates), admin (everything).
"""

from __future__ import annotations

from models.users import User

STAFF_AND_ADMIN = frozenset({"staff", "admin"})
ADMIN = frozenset({"admin"})
DELIVERY = frozenset({"courier", "staff", "admin"})

PERMISSIONS: dict[str, frozenset] = {
    "catalog:write": ADMIN,  # create, edit and archive products; imports
    "catalog:stock": STAFF_AND_ADMIN,  # set stock levels; list draft and archived products
    "customers:manage": STAFF_AND_ADMIN,  # the seed-004 customers API: create, list, search
    "orders:read": STAFF_AND_ADMIN,  # every customer's orders
    "orders:manage": STAFF_AND_ADMIN,  # move orders through fulfilment
    "disputes:read": STAFF_AND_ADMIN,  # Stripe disputes (chargebacks), and an order's disputes in its read
    "disputes:manage": STAFF_AND_ADMIN,  # release the hold a dispute put on its order
    "deliveries:work": DELIVERY,  # a courier's deliveries (issue 10)
    "notifications:templates": STAFF_AND_ADMIN,
    "notifications:send": ADMIN,  # direct and bulk messages
    "jobs:read": STAFF_AND_ADMIN,  # follow jobs (an integration's imports)
    "jobs:admin": ADMIN,  # failed jobs, retries, probes
    "fraud:admin": ADMIN,  # rules, reviews, assessments
    "ml:admin": ADMIN,  # training, model versions
    "users:admin": ADMIN,  # roles, disabling accounts
    "api_keys:admin": ADMIN,  # integrations' keys
    "audit:read": ADMIN,
    "operations:read": STAFF_AND_ADMIN,  # metrics, detailed health, dependency status
    "cache:admin": ADMIN,  # purge the catalog cache
    "reviews:moderate": STAFF_AND_ADMIN,  # the review queue: approve, reject
    "content:write": STAFF_AND_ADMIN,  # recipes and homepage banners: create, change, delete; see drafts
    "shipping:manage": STAFF_AND_ADMIN,  # shipping zones, their methods and rates (Shopify's "Shipping" setting)
    "promotions:manage": STAFF_AND_ADMIN,  # promo codes: create, change, delete, see usage
    "loyalty:admin": ADMIN,
    "wallet:manage": STAFF_AND_ADMIN,  # review withdrawals: list, approve (payout job), reject, mark paid
    "earn:manage": STAFF_AND_ADMIN,  # earn projects: create, change; review submissions (approve pays the reward)  # loyalty tiers: create, change, delete (each recomputes every customer's tier)
    # analytics reports and dashboard (Shopify's "Analytics"/"Reports" staff permission; Saleor's
    # dashboard figures need staff permissions too); recomputing the rollup is kept separate so an
    # integration can be given read-only reports
    "analytics:read": STAFF_AND_ADMIN,
    "analytics:rollup": STAFF_AND_ADMIN,  # recompute days of the rollup (an idempotent bulk job)
    # shoppable videos (seed 002): upload and edit one's own videos; edit anyone's; moderate comments
    "videos:create": STAFF_AND_ADMIN,
    "videos:manage": ADMIN,
    "videos:moderate": STAFF_AND_ADMIN,
    # stores (seed 002): create, deactivate, change any store and who runs it; a store's own staff
    # (services.content, `staffIds`) change their store without it
    "stores:manage": ADMIN,
}
"""permission -> the roles that have it."""

API_KEY_SCOPES = tuple(sorted(name for name in PERMISSIONS if name not in ("users:admin", "api_keys:admin")))
"""Scopes an API key may be given: every permission but managing accounts and keys (an
integration never creates credentials)."""


def allowed(user: User | None, permission: str) -> bool:
    """Whether `user` (None: a guest) has `permission`. Raises KeyError for an unknown permission."""
    return user is not None and user.is_active and user.role in PERMISSIONS[permission]
