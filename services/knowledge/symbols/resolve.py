"""Which definition a reference means, cheaply and honestly.

In order: an enclosing scope of the same file (a local definition shadows; `self.x` /
`this.x` is the enclosing class's `x`), the file's imports (the local name bound to a dotted
target, compared with each candidate's module and qualified name), a definition at the
file's top level, then the only definition of the name in the workspace. When several
remain they are returned ranked (same file > same folder > imported module > others) and
marked ambiguous; when none does the reference is unresolved (a library, a builtin).
Nothing is ever guessed silently.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import ImportBinding, SymbolDefinition, SymbolReference
from services.knowledge.symbols.modules import (
    absolute_target,
    folder_of,
    module_of,
    names_match,
)
from services.storage.port import Symbols
from services.workspace_files.languages import language_for

RESOLVED = "resolved"
AMBIGUOUS = "ambiguous"
UNRESOLVED = "unresolved"

# Qualifiers that name the object of the enclosing class.
_SELF = frozenset({"self", "this", "cls", "Self", "@", "$this", "static"})
# Languages where a bare name never means a method of the enclosing class.
_NO_IMPLICIT_SELF = frozenset({"python", "javascript", "typescript", "tsx", "rust", "go",
                               "ruby", "php"})
_ALL = 1_000_000  # "every definition": a name rarely has more than a few hundred


@dataclass(frozen=True, slots=True)
class Resolution:
    reference: SymbolReference
    status: str  # RESOLVED, AMBIGUOUS or UNRESOLVED
    candidates: tuple[SymbolDefinition, ...] = ()  # the one meant, or the ranked candidates

    @property
    def target(self) -> SymbolDefinition | None:
        return self.candidates[0] if self.status == RESOLVED else None

    def may_mean(self, definitions: Iterable[SymbolDefinition]) -> bool:
        keys = {key(d) for d in definitions}
        return any(key(c) in keys for c in self.candidates)


def key(d: SymbolDefinition) -> tuple[str, str, int]:
    return d.path, d.qualified_name, d.start_line


async def resolve(storage: Symbols, workspace_id: str,
                  references: Sequence[SymbolReference]) -> list[Resolution]:
    """Resolve `references` with two reads: the files' imports, then the definitions of
    every name they may mean."""
    imports = await storage.get_imports(workspace_id, {r.path for r in references})
    bindings = {p: {b.local_name: b for b in found} for p, found in imports.items()}
    names = {r.name for r in references}
    for ref in references:
        binding = bindings.get(ref.path, {}).get(_head(ref))
        if binding is not None and not ref.qualifier:
            names.add(binding.target.rsplit(".", 1)[-1].rsplit("/", 1)[-1])
    found = await storage.find_definitions(workspace_id, DefinitionMatch(names=tuple(names)),
                                           _ALL)
    by_name: dict[str, list[SymbolDefinition]] = {}
    for d in found:
        by_name.setdefault(d.name, []).append(d)
    return [_resolve_one(ref, by_name, bindings.get(ref.path, {}), imports.get(ref.path, []))
            for ref in references]


def _head(ref: SymbolReference) -> str:
    return ref.qualifier.split(".", 1)[0] if ref.qualifier else ref.name


def _resolve_one(ref: SymbolReference, by_name: dict[str, list[SymbolDefinition]],
                 bindings: dict[str, ImportBinding],
                 imports: list[ImportBinding]) -> Resolution:
    candidates = by_name.get(ref.name, [])
    language = language_for(ref.path)
    if not ref.qualifier or ref.qualifier in _SELF:
        scoped = _in_enclosing_scope(ref, candidates, language)
        if scoped is not None:
            return Resolution(ref, RESOLVED, (scoped,))
    binding = bindings.get(_head(ref))
    if binding is not None and ref.qualifier not in _SELF:
        return _through_import(ref, binding, by_name, imports)
    if not ref.qualifier:
        top = [d for d in candidates if d.path == ref.path and d.qualified_name == ref.name]
        if top:
            return Resolution(ref, RESOLVED, (top[0],))
        if language in _NO_IMPLICIT_SELF:
            candidates = [d for d in candidates if d.kind != "method"]
    else:
        named = [d for d in candidates if names_match(d.qualified_name,
                                                      f"{ref.qualifier}.{ref.name}")]
        # `obj.name`: only a member of something can be meant, never a free function.
        candidates = named or [d for d in candidates if "." in d.qualified_name]
    return _by_uniqueness(ref, candidates, imports)


def _in_enclosing_scope(ref: SymbolReference, candidates: list[SymbolDefinition],
                        language: str) -> SymbolDefinition | None:
    """The definition of the name in the innermost enclosing scope of the same file."""
    same_file = {d.qualified_name: d for d in candidates if d.path == ref.path}
    parts = ref.scope.split(".") if ref.scope else []
    for end in range(len(parts), 0, -1):
        found = same_file.get(".".join([*parts[:end], ref.name]))
        if found is None:
            continue
        if (not ref.qualifier and found.kind == "method"
                and language in _NO_IMPLICIT_SELF):
            continue  # a bare name there never means a method of the class
        return found
    return None


def _through_import(ref: SymbolReference, binding: ImportBinding,
                    by_name: dict[str, list[SymbolDefinition]],
                    imports: list[ImportBinding]) -> Resolution:
    target = absolute_target(binding.target, ref.path)
    if ref.qualifier:
        rest = ref.qualifier.split(".", 1)[1:]
        target = ".".join([target, *rest, ref.name])
    name = target.rsplit(".", 1)[-1]
    candidates = by_name.get(name, [])
    exact = [d for d in candidates if any(names_match(full, target) for full in _full_names(d))]
    if exact:
        return _by_uniqueness(ref, exact, imports)
    # A package may re-export a name defined deeper inside it (pkg/__init__.py importing
    # from pkg/_impl.py): the definitions of that name under the target's package remain.
    package = target.split(".", 1)[0]
    inside = [d for d in candidates if any(full.split(".", 1)[0] == package
                                           for full in _full_names(d))]
    return _by_uniqueness(ref, inside, imports)


def _full_names(d: SymbolDefinition) -> tuple[str, ...]:
    """The dotted names a definition is reachable by: through its file's module, and (Go,
    Java, ...) through its folder's package."""
    return (f"{module_of(d.path)}.{d.qualified_name}", f"{folder_of(d.path)}.{d.qualified_name}")


def _by_uniqueness(ref: SymbolReference, candidates: list[SymbolDefinition],
                   imports: list[ImportBinding]) -> Resolution:
    if not candidates:
        return Resolution(ref, UNRESOLVED)
    if len(candidates) == 1:
        return Resolution(ref, RESOLVED, (candidates[0],))
    return Resolution(ref, AMBIGUOUS, tuple(rank(ref, candidates, imports)))


def rank(ref: SymbolReference, candidates: list[SymbolDefinition],
         imports: list[ImportBinding]) -> list[SymbolDefinition]:
    """Most likely first: same file, same folder, an imported module, then the others."""
    folder = posixpath.dirname(ref.path)
    targets = [absolute_target(b.target, ref.path) for b in imports]

    def closeness(d: SymbolDefinition) -> tuple[int, str, int, str]:
        if d.path == ref.path:
            tier = 0
        elif posixpath.dirname(d.path) == folder:
            tier = 1
        elif any(names_match(module_of(d.path), t) or t.startswith(module_of(d.path) + ".")
                 for t in targets):
            tier = 2
        else:
            tier = 3
        return tier, d.path, d.start_line, d.qualified_name

    return sorted(candidates, key=closeness)
