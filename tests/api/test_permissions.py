"""The permission matrix (web.permissions) decides every staff, courier and admin route: every
route of the OpenAPI document is called as a guest, a customer, a courier, staff and an admin,
and what each gets is what the matrix says; every view with a role check is in the matrix."""

from __future__ import annotations

import inspect
import re

import pytest

from tests.api.test_openapi_truth import concrete, documented_operations
from tests.factories import quick_user, token_for
from web import permissions

ROLES = ("customer", "courier", "staff", "admin")
# Views whose role check depends on the request (drafts in the product list: `?status=draft`).
CONDITIONAL = {("GET", "/api/v1/products")}


def test_every_view_with_a_role_check_is_in_the_matrix(app):
    found = set()
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            function = getattr(view_class, method.lower(), None) if view_class else None
            if function is None:
                continue
            source = inspect.getsource(inspect.unwrap(function))  # decorators included
            if re.search(r"require_(admin|staff|role|permission)\(", source):
                found.add((method, rule.rule))
    assert found - CONDITIONAL <= set(permissions.ROUTES), sorted(found - CONDITIONAL - set(permissions.ROUTES))
    # and the matrix lists no route that does not exist
    rules = {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods}
    assert set(permissions.ROUTES) <= rules, sorted(set(permissions.ROUTES) - rules)
    assert set(permissions.ROUTES.values()) <= set(permissions.PERMISSIONS)


@pytest.fixture()
def tokens(db):
    return {role: token_for(quick_user(role=role)) for role in ROLES}


def test_every_route_answers_each_role_as_the_matrix_says(app, client, tokens):
    adapter = app.url_map.bind("localhost")
    wrong = []
    for method, path, operation in documented_operations(client):
        url = concrete(path, operation)
        rule, _ = adapter.match(url, method.upper(), return_rule=True)
        permission = permissions.route_permission(method, rule.rule)
        if operation.get("security") is None and permission is None:
            continue  # public: no token read
        body = {} if method in ("post", "put", "patch") else None
        for role in (None, *ROLES):
            headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
            answer = client.open(url, method=method.upper(), json=body, headers=headers)
            status = answer.status_code
            reason = ((answer.get_json(silent=True) or {}).get("error") or {}).get("reason")
            answer.close()
            if permission is None:
                expected_denied = False
            else:
                expected_denied = role not in permissions.PERMISSIONS[permission]
            if role is None and permission is not None and status != 401:
                wrong.append(f"{method.upper()} {path} as a guest -> {status}, expected 401")
            elif role and expected_denied and (status, reason) != (403, "insufficient_role"):
                wrong.append(f"{method.upper()} {path} as {role} -> {status} {reason}, expected 403")
            elif role and not expected_denied and reason == "insufficient_role":
                wrong.append(f"{method.upper()} {path} as {role} -> 403, the matrix allows it ({permission})")
    assert wrong == [], "\n".join(wrong)


def test_couriers_get_only_delivery_work_and_staff_no_admin_work():
    assert "courier" in permissions.PERMISSIONS["deliveries:work"]
    assert all("courier" not in roles for name, roles in permissions.PERMISSIONS.items() if name != "deliveries:work")
    assert "staff" not in permissions.PERMISSIONS["users:admin"] and "staff" not in permissions.PERMISSIONS["audit:read"]
    assert all("admin" in roles for roles in permissions.PERMISSIONS.values())
