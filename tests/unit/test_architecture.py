"""The import directions of ARCHITECTURE.md, checked on the source: a module that imports
against them fails here, before the shortcut spreads.

Every rule reads the imports of each product module (including those inside functions and
under TYPE_CHECKING: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("services", "clients")
MAX_LINES = 400

# Which packages of `services` each package may import (besides itself). Inner layers first:
# the domain knows nothing; ports and policies know the domain; use cases know ports; the
# composition roots (server, cli) know everything.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "workspace_files": {"domain"},
    "storage": {"domain"},
    "inference": {"domain", "config"},
    "config": {"domain", "workspace_files"},
    "rpc": {"domain", "storage"},
    "llm_lock": {"domain", "config", "storage", "rpc"},
    "ingestor": {"domain", "config", "storage", "inference", "workspace_files", "rpc"},
    "knowledge": {"domain", "config", "storage", "inference", "workspace_files", "rpc"},
    "workspaces": {"domain", "storage", "workspace_files", "rpc"},
    "mcp_bridge": {"domain", "config", "workspace_files", "inference"},
    # The HTTP/JSON gateway: a transport beside gRPC, at the composition roots' level.
    "http_gateway": {"domain", "config", "rpc"},
    "server": {"domain", "config", "storage", "inference", "workspace_files", "rpc",
               "llm_lock", "ingestor", "knowledge", "http_gateway", "workspaces"},
    "cli": {"domain", "config", "storage", "inference", "workspace_files", "rpc", "llm_lock",
            "ingestor", "knowledge", "server", "mcp_bridge", "http_gateway", "workspaces"},
}
# Outside storage and the composition roots, storage is reached through its ports only.
STORAGE_PUBLIC = {"services.storage.port"}
COMPOSITION_ROOTS = {"server", "cli"}


def _product_modules() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*.py"))


@cache
def _imports(path: Path) -> tuple[str, ...]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return tuple(names)


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "services" and len(parts) > 2 else ""


def _is_wire(module: str) -> bool:
    """Where protobuf may appear: the transport, its clients, and each service's servicer and
    wire modules (message building); never a use case or a port."""
    parts = module.split(".")
    return (parts[0] == "clients"
            or _package(module) in {"rpc", "server", "cli", "http_gateway"}
            or parts[-1] == "servicer"
            or "wire" in parts
            or module == "services.mcp_bridge.from_wire")


def _violations(check) -> list[str]:
    found = []
    for path in _product_modules():
        module = _name(path)
        found += [f"{module} imports {target}" for target in _imports(path)
                  if check(module, target)]
    return found


def test_every_package_has_a_rule():
    packages = {p.name for p in (ROOT / "services").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(ALLOWED)


def test_packages_import_only_inward():
    def against(module: str, target: str) -> bool:
        source, aim = _package(module), _package(target)
        return bool(source and aim and aim != source and aim not in ALLOWED[source])
    assert _violations(against) == []


def test_clients_stand_alone():
    assert _violations(lambda m, t: m.startswith("clients") and t.startswith("services")) == []


def test_protobuf_is_imported_only_at_the_wire():
    def against(module: str, target: str) -> bool:
        return target.split(".")[0] in {"knowport", "grpc", "google"} and not _is_wire(module)
    assert _violations(against) == []


def test_storage_is_reached_through_its_ports():
    def against(module: str, target: str) -> bool:
        source = _package(module)
        return (_package(target) == "storage" and source not in {"storage", *COMPOSITION_ROOTS}
                and target not in STORAGE_PUBLIC and target != "services.storage")
    assert _violations(against) == []


@pytest.mark.parametrize("path", _product_modules(), ids=_name)
def test_no_product_module_is_over_the_line_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{lines} lines: split it by subject"


def test_the_rules_catch_a_wrong_import():
    """The checks above are not vacuous: a domain module importing storage, a use case
    importing protobuf and a use case reaching a storage adapter are all named."""
    assert _package("services.domain.models") == "domain"
    assert "storage" not in ALLOWED["domain"]
    assert not _is_wire("services.knowledge.search")
    assert _is_wire("services.knowledge.servicer")
    assert "services.storage.memory" not in STORAGE_PUBLIC


# --- storage roles ----------------------------------------------------------------------

def _role_members(annotation: str, module: str) -> set[str] | None:
    """The methods and fields of the storage role (or composite of roles) named by
    `annotation` in `module`; None when it names no storage role."""
    import importlib

    from services.storage import port

    role = getattr(importlib.import_module(module), annotation, None)
    if not isinstance(role, type) or not any(
            base.__module__ == port.__name__ for base in role.__mro__[1:] + (role,)):
        return None
    members = set()
    for base in role.__mro__:
        if base.__module__ in (port.__name__, module):
            members |= {n for n in vars(base) if not n.startswith("__")}
            members |= set(getattr(base, "__annotations__", {}))
    return members


def _role_uses(tree: ast.AST, module: str) -> list[tuple[str, str, set[str]]]:
    """(what, member used, members allowed) for each use of a parameter typed with a storage
    role: `storage.x` in a function, `self._storage.x` in a class that keeps it."""
    uses = []
    for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)] + [tree]:
        functions = [n for n in getattr(cls, "body", [])
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for function in functions:
            for arg in function.args.args + function.args.kwonlyargs:
                if not isinstance(arg.annotation, ast.Name):
                    continue
                allowed = _role_members(arg.annotation.id, module)
                if allowed is None:
                    continue
                kept = {t.attr for n in ast.walk(function) if isinstance(n, ast.Assign)
                        and isinstance(n.value, ast.Name) and n.value.id == arg.arg
                        for t in n.targets if isinstance(t, ast.Attribute)}
                scope = cls if kept and cls is not tree else function
                for node in ast.walk(scope):
                    if not isinstance(node, ast.Attribute):
                        continue
                    owner = node.value
                    direct = isinstance(owner, ast.Name) and owner.id == arg.arg
                    via_self = (isinstance(owner, ast.Attribute) and owner.attr in kept
                                and isinstance(owner.value, ast.Name) and owner.value.id == "self")
                    if direct or via_self:
                        uses.append((f"{module}.{function.name}", node.attr, allowed))
    return uses


def test_each_consumer_uses_only_the_storage_roles_it_takes():
    found, wrong = 0, []
    for path in _product_modules():
        module = _name(path)
        if _package(module) == "storage":
            continue
        for what, member, allowed in _role_uses(ast.parse(path.read_text(encoding="utf-8")),
                                                module):
            found += 1
            if member not in allowed:
                wrong.append(f"{what} uses .{member}, not in its role")
    assert wrong == []
    assert found > 20  # the check sees the consumers (the lock, jobs, pipeline, retrieval, ...)
