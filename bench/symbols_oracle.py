"""The independent side of bench/symbols.py: jedi's references and callers of definitions.

jedi (a static analyser with its own parser and type inference, installed for the benchmark
only: `pip install -e '.[bench]'`) answers "where is this function or method used" for each
sampled definition of a package copied into a workspace. Its answers are the oracle; the
knowport answers (FindReferences, GetCallGraph over gRPC) are scored against them.
"""

from __future__ import annotations

import ast
import random
import sysconfig
import zlib
from dataclasses import dataclass, field
from pathlib import Path

Location = tuple[str, int, int]  # workspace-relative path, 1-based line, 0-based column


@dataclass(frozen=True)
class Target:
    """A function or method: its file, qualified name (as knowport names it), and where
    each of its definitions names it: a property's getter and setter, `@overload`s and
    conditional definitions share one qualified name in one file, and are one symbol to
    knowport (FindReferences takes a qualified name and a path), so jedi is asked about each
    and its answers joined."""

    path: str
    qualified_name: str
    positions: tuple[tuple[int, int], ...]  # (line, column) of each definition's name


@dataclass
class Truth:
    target: Target
    references: set[Location] = field(default_factory=set)  # the definition itself left out
    calls: set[Location] = field(default_factory=set)  # the references that call it
    callers: set[tuple[str, str]] = field(default_factory=set)  # (path, qualified name)


def package_root(package: str) -> Path:
    site = Path(sysconfig.get_paths()["purelib"])
    return site / package if (site / package).exists() else Path(
        sysconfig.get_paths()["stdlib"]) / package


def copy_package(package: str, target: Path) -> int:
    """The package's .py files (tests left out) under `target/<package>/`; their count."""
    base, count = package_root(package), 0
    for path in sorted(base.rglob("*.py")):
        if "__pycache__" in path.parts or "test" in path.name:
            continue
        dest = target / package / path.relative_to(base)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())
        count += 1
    return count


class _Scopes(ast.NodeVisitor):
    """Definitions of one file: (first line, last line, qualified name), outermost first."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int, str]] = []
        self.names: set[tuple[int, int]] = set()  # (line, column) where a definition is named
        self.functions: list[tuple[int, int, str, str]] = []  # line, column, qualified, name
        self._prefix: list[str] = []

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        qualified = ".".join([*self._prefix, node.name])
        self.names.add((node.lineno, node.col_offset))
        self.spans.append((node.lineno, node.end_lineno or node.lineno, qualified))
        self._prefix.append(node.name)
        self.generic_visit(node)
        self._prefix.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._enter(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if not (node.name.startswith("__") and node.name.endswith("__")):  # called implicitly
            self.functions.append((node.lineno, node.col_offset, ".".join(
                [*self._prefix, node.name]), node.name))
        self._enter(node)

    visit_AsyncFunctionDef = visit_FunctionDef


class Oracle:
    """jedi over one workspace of copied packages."""

    def __init__(self, root: Path) -> None:
        import jedi

        self.root = root
        self.jedi = jedi
        stdlib = sysconfig.get_paths()["stdlib"]
        # Only the copies and the standard library: the installed originals must not answer.
        self.project = jedi.Project(root, sys_path=[str(root), stdlib], smart_sys_path=False)
        self.sources: dict[str, list[str]] = {}
        self.scopes: dict[str, _Scopes] = {}
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            self.sources[rel] = text.splitlines()
            scopes = _Scopes()
            try:
                scopes.visit(ast.parse(text))
            except SyntaxError:
                continue
            self.scopes[rel] = scopes

    def targets(self, package: str, count: int, seed: int = 5) -> list[Target]:
        """A fixed random sample of the package's functions and methods (no dunders)."""
        found: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for rel, scopes in self.scopes.items():
            if not rel.startswith(f"{package}/"):
                continue
            for line, offset, qualified, name in scopes.functions:
                column = self.sources[rel][line - 1].find(name, offset)
                found.setdefault((rel, qualified), []).append((line, column))
        ordered = sorted(found, key=lambda k: (zlib.crc32(f"{k[0]}:{k[1]}".encode()), k))
        picked = random.Random(seed).sample(ordered, min(count, len(ordered)))
        return [Target(path, qualified, tuple(found[path, qualified]))
                for path, qualified in picked]

    def truth(self, target: Target) -> Truth | None:
        """jedi's references to `target` in the workspace; None when jedi fails on it."""
        script = self.jedi.Script(path=str(self.root / target.path), project=self.project)
        names = []
        for line, column in target.positions:
            try:
                names += script.get_references(line, column, scope="project",
                                               include_builtins=False)
            except Exception:  # jedi's own bugs: the target is left out, and counted
                return None
        truth = Truth(target)
        for name in names:
            if name.module_path is None or name.line is None:
                continue
            try:
                rel = Path(name.module_path).relative_to(self.root).as_posix()
            except ValueError:
                continue
            location = (rel, name.line, name.column)
            if self._names_a_definition(location):  # the target itself, an @overload twin
                continue
            truth.references.add(location)
            if self._is_call(location):
                truth.calls.add(location)
                caller = self.enclosing(rel, name.line)
                if caller:  # a call at module level has no caller definition
                    truth.callers.add((rel, caller))
        return truth

    def _names_a_definition(self, location: Location) -> bool:
        path, line, column = location
        scopes = self.scopes.get(path)
        if scopes is None:
            return False
        text = self.sources[path][line - 1]
        head = text[: column].rstrip()
        return head.endswith(("def", "class")) and any(
            (line, offset) in scopes.names for offset in range(column))

    def _is_call(self, location: Location) -> bool:
        """A name followed by `(`, or a decorator (knowport counts both as calls)."""
        path, line, column = location
        text = self.sources[path][line - 1]
        rest = text[column:].lstrip()
        while rest and (rest[0].isalnum() or rest[0] == "_"):
            rest = rest[1:]
        return rest.lstrip().startswith("(") or text.lstrip().startswith("@")

    def enclosing(self, path: str, line: int) -> str:
        """The qualified name of the innermost definition spanning `line`, or ""."""
        best = ""
        for first, last, qualified in self.scopes[path].spans if path in self.scopes else ():
            if first <= line <= last:
                best = qualified  # spans come outermost first
        return best

    def line(self, location: Location) -> str:
        path, line, _ = location
        return self.sources[path][line - 1].strip()
