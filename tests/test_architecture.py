"""The import rules of DESIGN.md section 2, checked on the source (every import, including
those inside functions):

- layers: `web` and `workers` -> `services` -> `models`, `services` -> `ml`; `services`,
  `models` and `ml` import neither Flask nor Dramatiq (nor `web`/`workers`); `models`
  imports no `services`; `ml` imports neither `services` nor `models`; `workers` never
  imports `web`;
- `services.platform` imports no domain package;
- outside a package of `services/`, only its public surface (`services.<package>`) is
  imported, never one of its modules;
- no import cycle, between modules or between the domain packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("config", "models", "ml", "services", "web", "workers")
FRAMEWORKS = ("flask", "flask_smorest", "flask_cors", "werkzeug", "dramatiq", "apscheduler", "gunicorn", "waitress")
SHARED = ("services.errors",)  # importable by every package


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    files = {}
    for top in LAYERS:
        base = ROOT / top
        candidates = [base.with_suffix(".py")] if base.with_suffix(".py").exists() else sorted(base.rglob("*.py"))
        for path in candidates:
            files[module_name(path)] = path
    return files


FILES = project_files()


def is_package(name: str) -> bool:
    return FILES.get(name, Path()).name == "__init__.py"


def imports_of(name: str) -> list[tuple[str, int, str | None]]:
    """(imported module, line, name) for every import in module `name`, resolved to project
    modules where possible: `from pkg import sub` names the submodule `pkg.sub` when there is
    one; `name` is what a `from` import took from the module it names (None for `import x`)."""
    tree = ast.parse(FILES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((candidate if candidate in FILES else base, node.lineno, alias.name))
    return found


def project_edges() -> dict[str, set[str]]:
    edges = {name: set() for name in FILES}
    for name in FILES:
        for target, _, _ in imports_of(name):
            if target in FILES and target != name:
                edges[name].add(target)
    return edges


def domain_of(module: str) -> str | None:
    """`services.orders.checkout` -> `orders`; None outside `services.<package>`."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "services" and is_package(f"services.{parts[1]}"):
        return parts[1]
    return None


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def violations(rule) -> list[str]:
    bad = []
    for name in sorted(FILES):
        for target, line, taken in imports_of(name):
            problem = rule(name, target, taken)
            if problem:
                bad.append(f"{FILES[name].relative_to(ROOT)}:{line}: imports {target} ({problem})")
    return bad


def top(module: str) -> str:
    return module.split(".")[0]


def layer_rule(name: str, target: str, taken: str | None = None) -> str | None:
    source, dest = top(name), top(target)
    if source in ("services", "models", "ml") and (dest in FRAMEWORKS or dest in ("web", "workers")):
        return f"{source} must not depend on {dest}"
    if source == "models" and dest == "services":
        return "models must not depend on services"
    if source == "ml" and dest in ("services", "models"):
        return "ml must not depend on the database or the domain"
    if source == "workers" and dest == "web":
        return "workers must not depend on web"
    return None


def platform_rule(name: str, target: str, taken: str | None = None) -> str | None:
    if name.startswith("services.platform") and domain_of(target) not in (None, "platform"):
        return "the platform imports no domain package"
    return None


def public_names(package: str) -> set[str]:
    """The names a package's `__init__.py` binds: what it imports and what `__all__` lists."""
    tree = ast.parse(FILES[package].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            names |= {elt.value for elt in node.value.elts}
    return names


def surface_rule(name: str, target: str, taken: str | None = None) -> str | None:
    package = domain_of(target)
    if package is None or target in SHARED or target == f"services.{package}":
        return None
    if domain_of(name) == package:
        return None
    if target == f"services.{package}.{taken}" and taken in public_names(f"services.{package}"):
        return None  # a module the package publishes (`from services.platform import jobs`)
    return f"import services.{package} (its public surface), not one of its modules"


def test_layers_follow_the_design():
    assert violations(layer_rule) == []


def test_the_platform_imports_no_domain_package():
    assert violations(platform_rule) == []


def test_packages_are_used_through_their_public_surface():
    assert violations(surface_rule) == []


def test_there_is_no_import_cycle_between_modules():
    assert find_cycle(project_edges()) is None


def test_there_is_no_import_cycle_between_domain_packages():
    packages: dict[str, set[str]] = {}
    for name, targets in project_edges().items():
        source = domain_of(name)
        if source is None:
            continue
        packages.setdefault(source, set())
        packages[source] |= {domain_of(t) for t in targets if domain_of(t) not in (None, source)}
    assert find_cycle(packages) is None


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": set(), "c": {"a"}}, None),
])
def test_the_cycle_finder_finds_cycles_and_only_cycles(edges, expected):
    assert find_cycle(edges) == expected


def test_the_rules_catch_what_they_forbid():
    assert layer_rule("services.orders.checkout", "flask")
    assert layer_rule("models.orders", "services.orders")
    assert platform_rule("services.platform.jobs", "services.orders")
    assert surface_rule("web.orders", "services.orders.checkout")
    assert surface_rule("web.orders", "services.orders.checkout", "checkout")
    assert not surface_rule("web.jobs", "services.platform.jobs", "jobs")
    assert surface_rule("services.fraud.decisions", "services.orders.transitions")
    assert not surface_rule("services.orders.checkout", "services.orders.carts")
    assert not surface_rule("web.orders", "services.orders")


STATE_MACHINES = {  # model -> the modules that may UPDATE or DELETE its rows
    "Job": ("services.platform.jobs", "services.platform.recovery", "services.platform.heartbeat",
            "services.platform.retention"),
    "Order": ("services.orders.transitions",),
}


def state_machine_writes() -> list[str]:
    """`Model.update(...)` / `Model.delete(...)` calls on a state-machine model outside its modules."""
    bad = []
    for name, path in sorted(FILES.items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in ("update", "delete") \
                    and isinstance(func.value, ast.Name) and func.value.id in STATE_MACHINES \
                    and name not in STATE_MACHINES[func.value.id]:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {func.value.id}.{func.attr}")
    return bad


def test_orders_and_jobs_change_only_through_their_state_machines():
    assert state_machine_writes() == []
