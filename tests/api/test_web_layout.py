"""The web layer's layout: one blueprint module per resource, sub-resources of /products in
their own `product_*` modules, the SSE machinery in web.sse, request helpers in web.request_info."""

from __future__ import annotations

import ast
from pathlib import Path

from web import RESOURCE_MODULES

WEB = Path(__file__).resolve().parents[2] / "web"


def test_every_route_under_products_but_the_collection_and_one_product_is_a_product_module(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/products/"):
            continue
        module = rule.endpoint.split(".")[0]
        if rule.rule == "/api/v1/products/<product:product_id>":
            assert module == "products", rule
        else:
            assert module.startswith("product_"), (rule.rule, module)


def test_every_resource_module_exposes_a_blueprint_and_only_resource_modules_do():
    for name in RESOURCE_MODULES:
        assert (WEB / f"{name}.py").exists(), name
    for path in WEB.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        defines_blueprint = any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "blp" for t in node.targets)
                                for node in ast.parse(source).body)
        assert defines_blueprint == (path.stem in RESOURCE_MODULES), path.name


def test_the_sse_machinery_lives_in_web_sse():
    for name in ("streams", "product_stock_updates", "jobs"):
        source = (WEB / f"{name}.py").read_text(encoding="utf-8")
        assert "from web.sse import" in source, name
        assert "class StreamSlots" not in source and "def sse_event" not in source, name


def test_client_ip_lives_beside_request_id():
    from web import orders, request_info

    assert orders.client_ip is request_info.client_ip and callable(request_info.request_id)
    assert not (WEB / "fraud.py").exists()  # the fraud views are fraud_rules, fraud_reviews, fraud_assessments, ...


def test_the_fraud_demo_history_command_is_a_cli_command(app):
    result = app.test_cli_runner().invoke(args=["fraud", "demo-history", "--help"])
    assert result.exit_code == 0 and "SYNTHETIC" in result.output
