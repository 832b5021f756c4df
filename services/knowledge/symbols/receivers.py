"""Which class the object before `.m` is, read from the code itself (Python; no inference
engine): a variable or parameter annotated or bound to a constructor call in an enclosing
scope (`x: Foo`, `x = Foo()`), `self.x` annotated or bound so in its class, `self` / `cls`
(the enclosing class) and `super()` (its bases). Typed names come from extraction (TYPED in
services/domain/symbols.py), a class's bases from its signature (`class C(A, m.B)`).

For each reference `Receivers.load` gives the receiver's class and its bases, depth first
(the method resolution order of single inheritance), EXTERNAL when the class is not the
workspace's (a library's, a builtin: none of its members is defined here), or None when
nothing is known (the resolver then goes by the member's name alone).
"""

from __future__ import annotations

import builtins
import io
import re
from collections.abc import Sequence
from typing import Protocol

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    IMPORT,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
    is_typed,
)
from services.knowledge.symbols.modules import absolute_target, folder_of, module_of
from services.storage.port import Symbols
from services.workspace_files.languages import language_for

EXTERNAL = "external"
VARIABLE = "variable"  # a bare name the file binds to an object (`foo = Foo()`)
CLASSES = frozenset({"class", "interface", "struct"})
_SELF = frozenset({"self", "cls"})
_BUILTIN_TYPES = frozenset(n for n, v in vars(builtins).items() if isinstance(v, type))
# Members of the builtin types an object of unknown class most often is (strings, bytes,
# containers, numbers, files, regular expression matches).
BUILTIN_MEMBERS = frozenset(
    n for t in (str, bytes, bytearray, list, dict, set, tuple, int, float, re.Match,
                re.Pattern, io.TextIOWrapper, io.BufferedReader, io.BytesIO)
    for n in dir(t) if not n.startswith("_"))
_SUBSCRIPT = re.compile(r"\[.*$")
_LEVELS = 8  # bases followed at most this deep
_ALL = 1_000_000

Receiver = tuple[SymbolDefinition, ...] | str | None
Key = tuple[str, str, int]


class Known(Protocol):
    """The resolver's definitions: by name, and found by an import's dotted target."""

    by_name: dict[str, list[SymbolDefinition]]
    in_file: dict[tuple[str, str], dict[str, SymbolDefinition]]  # (name, path) -> by qualified

    def imported(self, target: str) -> list[SymbolDefinition]: ...

    def add(self, found: Sequence[SymbolDefinition]) -> None: ...


def _key(d: SymbolDefinition) -> Key:
    return d.path, d.qualified_name, d.start_line


def scopes(scope: str) -> list[str]:
    """`A.b.c` -> [`A.b.c`, `A.b`, `A`, ``]: where a name may be bound, innermost first."""
    parts = scope.split(".") if scope else []
    return [".".join(parts[:end]) for end in range(len(parts), -1, -1)]


def bases_written(signature: str) -> list[str]:
    """The bases in `class C(A, m.B[T], metaclass=M)`: [`A`, `m.B`]."""
    if not signature.startswith("class ") or "(" not in signature or ")" not in signature:
        return []
    inside = signature[signature.index("(") + 1:signature.rindex(")")]
    found, depth, start = [], 0, 0
    for i, ch in enumerate(inside + ","):
        depth += 1 if ch in "[(" else -1 if ch in "])" else 0
        if ch == "," and depth == 0:
            part = _SUBSCRIPT.sub("", inside[start:i].strip())
            if part and "=" not in part and not part.startswith("*"):
                found.append(part)
            start = i + 1
    return found


class Receivers:
    """Receivers of a batch of references; reads the imports of the files that define
    classes, and the definitions of their bases, a level at a time."""

    def __init__(self, bindings: dict[str, dict[str, ImportBinding]],
                 imports: dict[str, list[ImportBinding]]) -> None:
        self.bindings = bindings  # path -> local name -> import
        self._imports = imports
        self._typed: dict[str, dict[str, list[str]]] = {}  # path -> typed name -> types
        self._bases: dict[Key, tuple[Receiver, ...]] = {}
        self._tops: set[str] = set()  # top packages of the workspace's modules
        self._classes: dict[tuple[str, str], Receiver] = {}  # (type as written, path) ->

    def names(self, references: Sequence[SymbolReference]) -> set[str]:
        """The names whose definitions finding the receivers' classes needs."""
        names: set[str] = set()
        for ref in references:
            if ref.qualifier.split(".", 1)[0] in _SELF or ref.qualifier == "super()":
                names.update(ref.scope.split(".")[:-1])  # the class around the method
            for written in self._written(ref):
                names |= self._names_of(written.removesuffix("()"), ref.path)
        return names

    async def load(self, storage: Symbols, workspace_id: str,
                   references: Sequence[SymbolReference], known: Known,
                   asked: set[str]) -> list[Receiver]:
        """The receiver of each reference (see the module doc)."""
        firsts = [self._first(ref, known) for ref in references]
        # Bases are read only where the class itself does not define the member.
        await self._read_bases(storage, workspace_id, [
            f[1][0] for f, ref in zip(firsts, references, strict=True)
            if f is not None and isinstance(f[1], tuple)
            and (f[0] == "super" or not _defines(f[1][0], ref.name, known))], known, asked)
        receivers: list[Receiver] = []
        for found in firsts:
            if found is None or not isinstance(found[1], tuple):
                receivers.append(found[1] if found else None)
                continue
            order = self._order(found[1][0])
            order = order[1:] if found[0] == "super" else order
            receivers.append(order or None)
        return receivers

    def _first(self, ref: SymbolReference, known: Known) -> tuple[str, Receiver] | None:
        """("self" | "super" | "typed", the receiver's own class or EXTERNAL), or None."""
        if not ref.qualifier:
            if ref.kind == IMPORT:
                return None  # where an import binds the name
            typed = self._typed_in(ref.path)
            bound = typed and any(f"{ref.name}@{scope}" in typed for scope in scopes(ref.scope))
            return ("variable", VARIABLE) if bound else None
        if ref.qualifier in _SELF or ref.qualifier == "super()":
            if language_for(ref.path) != "python":
                return None
            mine = self._enclosing_class(ref, known)
            return ("super" if ref.qualifier == "super()" else "self", (mine,)) if mine else None
        classes = {self.class_of(w, ref.path, known) for w in self._written(ref)}
        return ("typed", classes.pop()) if len(classes) == 1 and None not in classes else None

    def _written(self, ref: SymbolReference) -> list[str]:
        """The types the receiver of `ref` is bound to, as written in its file."""
        typed = self._typed_in(ref.path) if ref.qualifier else None
        if not typed:
            return []  # (most files and references: nothing to look up)
        head, _, rest = ref.qualifier.partition(".")
        if ( "." in rest or (rest and head not in _SELF)
                or (not rest and (head in _SELF or head in self.bindings.get(ref.path, {})))):
            return []
        for scope in scopes(ref.scope):
            found = typed.get(f"{ref.qualifier}@{scope}")
            if found:
                return found
        return []

    def _typed_in(self, path: str) -> dict[str, list[str]]:
        """The typed names of a file, sorted out of its imports once (when first asked)."""
        typed = self._typed.get(path)
        if typed is None:
            typed = self._typed[path] = {}
            for b in self._imports.get(path, ()):
                if is_typed(b):
                    typed.setdefault(b.local_name, []).append(b.target)
        return typed

    def _names_of(self, written: str, path: str) -> set[str]:
        head, _, rest = written.partition(".")
        binding = self.bindings.get(path, {}).get(head)
        target = binding.target if binding is not None and not rest else written
        return {written.rsplit(".", 1)[-1], target.rsplit(".", 1)[-1].rsplit("/", 1)[-1]}

    def _enclosing_class(self, ref: SymbolReference, known: Known) -> SymbolDefinition | None:
        for scope in scopes(ref.scope)[:-1]:
            d = known.in_file.get((scope.rsplit(".", 1)[-1], ref.path), {}).get(scope)
            if d is not None and d.kind in CLASSES:
                return d
        return None

    def class_of(self, written: str, path: str, known: Known) -> Receiver:
        """The class a type written in `path` names: one class, EXTERNAL, or None."""
        memo = (written, path)
        if memo not in self._classes:
            self._classes[memo] = self._class_of(written, path, known)
        return self._classes[memo]

    def _class_of(self, written: str, path: str, known: Known) -> Receiver:
        call = written.endswith("()")
        name = written.removesuffix("()")
        head, _, rest = name.partition(".")
        binding = self.bindings.get(path, {}).get(head)
        if binding is not None:
            target = absolute_target(binding.target, path) + (f".{rest}" if rest else "")
            found = known.imported(target)
            if found:
                return (found[0],) if len(found) == 1 and found[0].kind in CLASSES else None
            outside = target.split(".", 1)[0] not in self._workspace_tops(known)
            return EXTERNAL if outside and (not call or _capitalised(target)) else None
        if rest:
            return None  # `a.B` where `a` is no import: an attribute of some object
        defined = known.by_name.get(name, [])
        own = [d for d in defined if d.path == path and d.qualified_name == name]
        if own or len(defined) == 1:
            found = own or defined
            return (found[0],) if found[0].kind in CLASSES else None
        return EXTERNAL if not defined and name in _BUILTIN_TYPES else None

    def _workspace_tops(self, known: Known) -> set[str]:
        """Top packages of the workspace's modules (of the definitions read): an import from
        any other package is a library's."""
        if not self._tops:
            for found in known.by_name.values():
                for d in found:
                    self._tops.update((module_of(d.path).split(".", 1)[0],
                                       folder_of(d.path).split(".", 1)[0]))
        return self._tops

    async def _read_bases(self, storage: Symbols, workspace_id: str,
                          classes: list[SymbolDefinition], known: Known,
                          asked: set[str]) -> None:
        """The bases of `classes` and of theirs, a level (two reads) at a time."""
        for _ in range(_LEVELS):
            classes = list({_key(c): c for c in classes if _key(c) not in self._bases}.values())
            if not classes:
                return
            paths = {c.path for c in classes} - self.bindings.keys()
            if paths:
                found = await storage.get_imports(workspace_id, paths)
                for path in paths:
                    self.bindings[path] = {b.local_name: b for b in found.get(path, ())}
            written = {_key(c): bases_written(c.signature) for c in classes}
            names = {n for c in classes for b in written[_key(c)]
                     for n in self._names_of(b, c.path)} - asked
            if names:
                asked |= names
                known.add(await storage.find_definitions(
                    workspace_id, DefinitionMatch(names=tuple(names)), _ALL))
            following = []
            for c in classes:
                bases = tuple(self.class_of(b, c.path, known) for b in written[_key(c)])
                self._bases[_key(c)] = bases
                following += [b[0] for b in bases if isinstance(b, tuple)]
            classes = following

    def _order(self, first: SymbolDefinition) -> tuple[SymbolDefinition, ...]:
        """The class and its known bases, depth first, each once."""
        order: list[SymbolDefinition] = []
        stack: list[SymbolDefinition] = [first]
        while stack:
            c = stack.pop()
            if c not in order:
                order.append(c)
                stack += reversed([b[0] for b in self._bases.get(_key(c), ())
                                   if isinstance(b, tuple)])
        return tuple(order)


def _defines(c: SymbolDefinition, name: str, known: Known) -> bool:
    return f"{c.qualified_name}.{name}" in known.in_file.get((name, c.path), {})


def _capitalised(target: str) -> bool:
    """`Foo()` makes a Foo; `foo()` may return anything (`cast`, `copy`, a factory)."""
    return target.rsplit(".", 1)[-1][:1].isupper()
