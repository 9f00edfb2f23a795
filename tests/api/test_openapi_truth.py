"""The OpenAPI document tells the truth: what a view answers is what its documented schema
declares, guest-serving routes declare the bearer token optional, and event streams declare
their events."""

from __future__ import annotations

import ast
import re
import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _decorator_schemas(function: ast.FunctionDef) -> dict[int, str]:
    """status -> schema class name, from `@x.response(status, Schema)` / `@x.alt_response(status, schema=Schema)`."""
    found = {}
    for decorator in function.decorator_list:
        if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
            continue
        if decorator.func.attr not in ("response", "alt_response") or not decorator.args:
            continue
        status = decorator.args[0]
        schema = decorator.args[1] if len(decorator.args) > 1 else next(
            (kw.value for kw in decorator.keywords if kw.arg == "schema"), None)
        if isinstance(status, ast.Constant) and isinstance(schema, ast.Name):
            found[status.value] = schema.id
    return found


def _statuses(call: ast.Call) -> list[int]:
    """The statuses an `ok(data, status, ...)` call can answer with (200 by default)."""
    status = call.args[1] if len(call.args) > 1 else next((kw.value for kw in call.keywords if kw.arg == "status"),
                                                          None)
    if status is None:
        return [200]
    if isinstance(status, ast.Constant):
        return [status.value]
    if isinstance(status, ast.IfExp) and isinstance(status.body, ast.Constant) \
            and isinstance(status.orelse, ast.Constant):
        return [status.body.value, status.orelse.value]
    raise AssertionError(f"cannot read the status of {ast.unparse(call)}")


def ok_calls():
    """(file, view, status, schema name, module, keys the `ok()` call puts in the body)."""
    for path in sorted((ROOT / "web").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = f"web.{path.stem}"
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            for function in [n for n in cls.body if isinstance(n, ast.FunctionDef)]:
                schemas = _decorator_schemas(function)
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "ok":
                        keys = {"data"} | {kw.arg for kw in call.keywords if kw.arg not in (None, "status")}
                        for status in _statuses(call):
                            yield (str(path.relative_to(ROOT)), f"{cls.name}.{function.name}", status,
                                   schemas.get(status), module, keys)


def declared_keys(module: str, schema_name: str) -> set[str]:
    schema = getattr(importlib.import_module(module), schema_name)()
    return {field.data_key or name for name, field in schema.fields.items()}


def test_the_ok_calls_are_found():
    views = {view for _, view, *_ in ok_calls()}
    assert {"FraudRules.post", "CartItems.post", "FraudModelRollback.post"} <= views


@pytest.mark.parametrize("path, view, status, schema, module, keys",
                         [pytest.param(*call, id=f"{call[1]}-{call[2]}") for call in ok_calls()])
def test_every_key_a_view_answers_with_is_declared_in_its_documented_schema(path, view, status, schema, module,
                                                                             keys):
    assert schema is not None, f"{path} {view} answers {status} without a documented schema"
    assert keys <= declared_keys(module, schema), f"{path} {view} {status}: {keys - declared_keys(module, schema)}"


# --------------------------------------------------------------------------- security

BEARER = [{"bearerAuth": []}]
OPTIONAL = [{}, {"bearerAuth": []}]
PLACEHOLDERS = {"order_id": "ord_doesnotexist", "product_id": "prod_doesnotexist"}
# Operations a guest uses (web.security.current_user() returns None for them): the token is optional.
GUEST_OPERATIONS = {
    ("get", "/api/v1/products"), ("get", "/api/v1/products/{product_id}"),
    ("get", "/api/v1/products/recommendations"), ("get", "/api/v1/homepage/recommendations"),
    ("post", "/api/v1/cart"), ("get", "/api/v1/cart/{cart_id}"), ("delete", "/api/v1/cart/{cart_id}"),
    ("post", "/api/v1/cart/{cart_id}/items"), ("put", "/api/v1/cart/{cart_id}/items/{item_id}"),
    ("delete", "/api/v1/cart/{cart_id}/items/{item_id}"),
    ("post", "/api/v1/orders"), ("post", "/api/v1/orders/{order_id}/payment"), ("get", "/api/v1/orders/{order_id}"),
    ("post", "/api/v1/checkout/shipping"),
    ("get", "/api/v1/orders/{order_id}/events"), ("get", "/api/v1/realtime/order-status/{order_id}"),
    ("get", "/api/v1/jobs"), ("get", "/api/v1/jobs/{job_id}"), ("post", "/api/v1/jobs/{job_id}/cancel"),
    ("get", "/api/v1/jobs/{job_id}/events"),
}


def documented_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, dict(operation, parameters=[*item.get("parameters", []),
                                                                *operation.get("parameters", [])])


def concrete(path: str, operation: dict) -> str:
    """`path` with an id of the documented kind (`cart_doesnotexist`) for each path parameter."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            prefix = re.match(r"\^(\w+_)", parameter["schema"].get("pattern", ""))
            value = PLACEHOLDERS.get(parameter["name"]) or (prefix.group(1) if prefix else "") + "doesnotexist"
            path = path.replace("{%s}" % parameter["name"], value)
    return path


def test_operations_declare_a_required_token_an_optional_one_or_none(client):
    for method, path, operation in documented_operations(client):
        assert operation.get("security") in (None, BEARER, OPTIONAL), (method, path, operation.get("security"))


def test_guest_operations_declare_the_bearer_token_optional(client):
    declared = {(method, path): operation.get("security") for method, path, operation in documented_operations(client)}
    for key in GUEST_OPERATIONS:
        assert declared[key] == OPTIONAL, key


def test_declared_security_is_what_each_operation_enforces(client):
    """Anonymous: 401 exactly where a token is required. A bad token: 401 wherever one is read."""
    wrong = []
    for method, path, operation in documented_operations(client):
        security = operation.get("security")
        url = concrete(path, operation)
        body = {} if method in ("post", "put", "patch") else None
        anonymous = client.open(url, method=method.upper(), json=body)
        bad_token = client.open(url, method=method.upper(), json=body, headers={"Authorization": "Bearer not-a-jwt"})
        if (anonymous.status_code == 401) != (security == BEARER):
            wrong.append(f"{method.upper()} {path} declares {security}, anonymous -> {anonymous.status_code}")
        if (bad_token.status_code == 401) != (security in (BEARER, OPTIONAL)):
            wrong.append(f"{method.upper()} {path} declares {security}, bad token -> {bad_token.status_code}")
        anonymous.close()
        bad_token.close()
    assert wrong == []


# --------------------------------------------------------------------------- event streams

def parse_events(text: str) -> list[dict]:
    """SSE text -> events as schemathesis reads them: {"event", "data", "id"?} (data blocks only)."""
    events = []
    for block in text.split("\n\n"):
        event = {}
        for line in block.split("\n"):
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                event["data"] = value
            elif name in ("event", "id"):
                event[name] = value
        if "data" in event:
            events.append(dict({"event": "message"}, **event))
    return events


def stream_schemas(client) -> dict[str, dict]:
    spec = client.get("/api/v1/openapi.json").get_json()
    found = {}
    for path, item in spec["paths"].items():
        content = item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        if "text/event-stream" in content:
            found[path] = (content["text/event-stream"]["schema"], spec["components"])
    return found


def assert_events_match(events, schema, components):
    import jsonschema_rs

    assert events
    for event in events:
        jsonschema_rs.validate(schema, event)
        variants = schema.get("oneOf", [schema])
        variant = next(v for v in variants if v["properties"]["event"]["const"] == event["event"])
        payload = variant["properties"]["data"]["contentSchema"]
        assert variant["properties"]["data"]["contentMediaType"] == "application/json"
        jsonschema_rs.validate({**payload, "components": components}, json.loads(event["data"]))


def test_every_event_stream_documents_its_events_and_their_json_data(client):
    schemas = stream_schemas(client)
    assert set(schemas) == {"/api/v1/orders/{order_id}/events", "/api/v1/realtime/order-status/{order_id}",
                            "/api/v1/orders/events", "/api/v1/products/stock-updates",
                            "/api/v1/realtime/stock-updates", "/api/v1/jobs/{job_id}/events",
                            "/api/v1/realtime/cart-sync", "/api/v1/realtime/events"}
    for path, (schema, components) in schemas.items():
        variants = schema.get("oneOf", [schema])
        for variant in variants:
            assert variant["required"] == ["event", "data"], path
            reference = variant["properties"]["data"]["contentSchema"]["$ref"]
            assert reference.split("/")[-1] in components["schemas"], (path, reference)


def test_the_events_streams_send_are_the_documented_ones(app, client, api):
    from tests.factories import checkout_body, fill_cart, make_product, make_user, token_for

    app.config.update(SSE_MAX_SECONDS=0.5, SSE_KEEPALIVE_SECONDS=0.2, SSE_POLL_SECONDS=0.2)
    schemas = stream_schemas(client)
    product = make_product(stock=3)
    user = make_user()
    token = token_for(user)
    cart_id = fill_cart(api, product, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200, body
    job_id, order_id = body["data"]["id"], body["data"]["result"]["orderId"]
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/cart", token=token)[0] == 201  # an active cart for the cart-sync stream's first event
    for path, url in [("/api/v1/orders/{order_id}/events", f"/api/v1/orders/{order_id}/events"),
                      ("/api/v1/orders/events", "/api/v1/orders/events"),
                      ("/api/v1/products/stock-updates", f"/api/v1/products/stock-updates?productIds={product.id}"),
                      ("/api/v1/jobs/{job_id}/events", f"/api/v1/jobs/{job_id}/events"),
                      ("/api/v1/realtime/cart-sync", "/api/v1/realtime/cart-sync")]:
        response = client.get(url, headers=auth)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        assert_events_match(parse_events(response.get_data(as_text=True)), *schemas[path])
