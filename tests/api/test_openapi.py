"""OpenAPI: every route documented, Swagger UI served from local assets, and
schemathesis finds no server error and no response breaking the schema."""

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import checks as st_checks

from web.api import openapi_path


def documented_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    return spec


def test_every_api_route_is_documented(app, client):
    spec = documented_paths(client)
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops
                  if method in ("get", "post", "put", "delete", "patch")}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint.startswith("api-docs") \
                or "docs" in rule.rule or rule.rule.endswith("openapi.json"):
            continue
        path = openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append((method, path))
    assert not missing, missing
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if isinstance(op, dict) and "responses" in op:
                assert op.get("summary"), (method, path)


def test_error_envelope_is_the_documented_default_error(client):
    spec = documented_paths(client)
    error = spec["components"]["schemas"]["ErrorEnvelope"]
    assert "error" in error["properties"]


def test_swagger_ui_is_served_from_local_assets(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/swagger-ui.css").status_code == 200


CHECKS = [st_checks.not_a_server_error, st_checks.response_schema_conformance,
          st_checks.status_code_conformance, st_checks.content_type_conformance]


def test_api_has_no_server_errors_and_matches_its_schema(app):
    """Schemathesis generates requests for every operation from the OpenAPI document."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy())
        @hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck),
                             derandomize=True, database=None)
        def check(case):
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
