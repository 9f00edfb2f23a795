"""Stable error reasons: every reason raised in `services/`, `web/` and `workers/` is registered
(once), every registered reason is raised somewhere, and OpenAPI publishes them as an enum.

Found on the source: `reason="..."` keyword arguments, `reason = "..."` class attributes of
error classes, and `"reason": "..."` entries of error dicts (dicts with a `"code"` too).
"""

from __future__ import annotations

import ast
from pathlib import Path

from web.reasons import REGISTRIES, all_reasons

ROOT = Path(__file__).resolve().parent.parent


def raised_reasons() -> dict[str, list[str]]:
    """reason -> ["path:line", ...] for every reason written in the code."""
    found: dict[str, list[str]] = {}

    def add(value, path, line):
        found.setdefault(value, []).append(f"{path}:{line}")

    for top in ("services", "web", "workers"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.name == "reasons.py":
                continue
            rel = path.relative_to(ROOT)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        value = kw.value
                        if kw.arg == "reason" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                            add(value.value, rel, node.lineno)
                elif isinstance(node, ast.ClassDef):
                    for stmt in node.body:
                        names = [getattr(t, "id", None) for t in getattr(stmt, "targets", [])]
                        if isinstance(stmt, ast.Assign) and "reason" in names and isinstance(stmt.value, ast.Constant):
                            add(stmt.value.value, rel, stmt.lineno)
                elif isinstance(node, ast.Dict):
                    keys = {k.value: v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
                    reason = keys.get("reason")
                    if "code" in keys and isinstance(reason, ast.Constant) and isinstance(reason.value, str):
                        add(reason.value, rel, node.lineno)
    return found


def test_every_reason_raised_is_registered():
    registered = all_reasons()
    missing = {reason: places for reason, places in raised_reasons().items() if reason not in registered}
    assert missing == {}


def test_every_registered_reason_is_raised_somewhere():
    raised = raised_reasons()
    assert [reason for reason in all_reasons() if reason not in raised] == []


def test_each_reason_belongs_to_one_registry_and_is_snake_case():
    seen: dict[str, str] = {}
    for domain, registry in REGISTRIES.items():
        for reason, meaning in registry.items():
            assert reason not in seen, f"{reason} is registered by {seen.get(reason)} and {domain}"
            seen[reason] = domain
            assert reason.replace("_", "").isalnum() and reason == reason.lower(), reason
            assert meaning.strip(), reason


def test_every_domain_package_that_raises_reasons_has_a_registry():
    packages = {path.parent.name for path in (ROOT / "services").glob("*/__init__.py")}
    with_reasons = {path.parent.name for path in (ROOT / "services").glob("*/reasons.py")}
    assert with_reasons <= set(REGISTRIES)
    raising = {place.split("/")[1] for places in raised_reasons().values() for place in places
               if place.startswith("services/") and place.count("/") >= 2}
    assert raising & packages <= with_reasons


def test_openapi_publishes_the_reasons_as_an_enum(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    reason = spec["components"]["schemas"]["ErrorBody"]["properties"]["reason"]
    assert reason["enum"] == list(all_reasons())
