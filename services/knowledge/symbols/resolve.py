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

import heapq
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    IMPORT,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
    is_typed,
)
from services.knowledge.symbols.modules import (
    SuffixIndex,
    absolute_target,
    dotted_suffixes,
    folder_of,
    module_of,
)
from services.knowledge.symbols.receivers import (
    BUILTIN_MEMBERS,
    EXTERNAL,
    VARIABLE,
    Receiver,
    Receivers,
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
_language = lru_cache(maxsize=65_536)(language_for)  # asked once per reference
_ALL = 1_000_000  # "every definition": a name rarely has more than a few hundred


@dataclass(frozen=True, slots=True)
class Resolution:
    reference: SymbolReference
    status: str  # RESOLVED, AMBIGUOUS or UNRESOLVED
    # RESOLVED: the one meant. AMBIGUOUS: every candidate, in storage order, until
    # `ranked_candidates` ranks the few to show (a common name has thousands, and ranking is
    # per file: rank only what is shown). References that share a file, a name and a way of
    # looking it up share one tuple.
    candidates: tuple[SymbolDefinition, ...] = ()

    @property
    def target(self) -> SymbolDefinition | None:
        return self.candidates[0] if self.status == RESOLVED else None


class MeansAny:
    """Which of some definitions a resolution may mean; remembered for each candidate tuple,
    which many references share."""

    def __init__(self, definitions: Iterable[SymbolDefinition]) -> None:
        self.keys = {key(d) for d in definitions}
        # id(candidates) -> (candidates, which of them): holding the tuple keeps its id
        # from being reused by another one
        self._seen: dict[int, tuple[tuple, tuple[SymbolDefinition, ...]]] = {}

    def which(self, found: Resolution) -> tuple[SymbolDefinition, ...]:
        if found.status not in (RESOLVED, AMBIGUOUS):
            return ()
        seen = self._seen.get(id(found.candidates))
        if seen is None:
            meant = tuple(c for c in found.candidates if key(c) in self.keys)
            seen = self._seen[id(found.candidates)] = (found.candidates, meant)
        return seen[1]

    def __call__(self, found: Resolution) -> bool:
        return bool(self.which(found))


def key(d: SymbolDefinition) -> tuple[str, str, int]:
    return d.path, d.qualified_name, d.start_line


async def resolve(storage: Symbols, workspace_id: str,
                  references: Sequence[SymbolReference]) -> list[Resolution]:
    """Resolve `references` with two reads: the files' imports, then the definitions of
    every name they may mean (and, for receivers of known classes, their bases: see
    receivers.py)."""
    if not references:
        return []  # (and no names: a match of no names would be every definition)
    imports = await storage.get_imports(workspace_id, {r.path for r in references})
    # (typed names ride along: their local names, with an "@", are never a name's head)
    bindings = {p: {b.local_name: b for b in found} for p, found in imports.items()}
    receivers = Receivers(bindings, imports)
    names = {r.name for r in references} | receivers.names(references)
    for ref in references:
        binding = bindings.get(ref.path, {}).get(_head(ref))
        if binding is not None and not ref.qualifier:
            names.add(binding.target.rsplit(".", 1)[-1].rsplit("/", 1)[-1])
    found = await storage.find_definitions(workspace_id, DefinitionMatch(names=tuple(names)),
                                           _ALL)
    known = _Known(found)
    of = await receivers.load(storage, workspace_id, references, known, names)
    return [known.resolve(ref, bindings.get(ref.path, {}), receiver)
            for ref, receiver in zip(references, of, strict=True)]


def _head(ref: SymbolReference) -> str:
    return ref.qualifier.split(".", 1)[0] if ref.qualifier else ref.name


class _Known:
    """The definitions a batch of references may mean, indexed for the lookups resolution
    makes, and the outcomes already decided (many references share a file and a name)."""

    def __init__(self, found: Iterable[SymbolDefinition]) -> None:
        self.by_name: dict[str, list[SymbolDefinition]] = {}
        self.in_file: dict[tuple[str, str], dict[str, SymbolDefinition]] = {}
        # name -> its definitions by qualified name and by full dotted name, built on demand
        self._qualified: dict[str, SuffixIndex] = {}
        self._full: dict[str, SuffixIndex] = {}
        self._packages: dict[str, dict[str, list[SymbolDefinition]]] = {}  # by top package
        self._decided: dict[tuple, tuple[str, tuple[SymbolDefinition, ...]]] = {}
        self.add(found)

    def add(self, found: Iterable[SymbolDefinition]) -> None:
        """More definitions, of names not read before (the indexes built on demand of
        those names are dropped)."""
        for d in found:
            self.by_name.setdefault(d.name, []).append(d)
            self.in_file.setdefault((d.name, d.path), {}).setdefault(d.qualified_name, d)
            for index in (self._qualified, self._full, self._packages):
                index.pop(d.name, None)

    def resolve(self, ref: SymbolReference, bindings: dict[str, ImportBinding],
                receiver: Receiver = None) -> Resolution:
        language = _language(ref.path)
        if not ref.qualifier or ref.qualifier in _SELF:
            scoped = self._in_enclosing_scope(ref, language)
            if scoped is not None:
                return Resolution(ref, RESOLVED, (scoped,))
        if receiver == EXTERNAL:  # a member of a library's class: not the workspace's
            return Resolution(ref, UNRESOLVED)
        if isinstance(receiver, tuple):
            member = self._member_of(receiver, ref.name)
            if member is not None:
                return Resolution(ref, RESOLVED, (member,))
            # Neither the class nor a base read here defines it: a subclass's member, an
            # outside base's, or an attribute set at run time; only a guess remains.
            return self._decide(ref, ("inherited",), lambda: self._members(ref, True),
                                guess=True)
        if ref.qualifier in _SELF:
            # Not a member of the enclosing class here: inherited, or set from outside. The
            # class hierarchy is not followed, so a lone member of that name elsewhere is
            # a guess (jedi disagreed with 27 of 30 such answers): ambiguous, never resolved.
            return self._decide(ref, ("inherited",), lambda: self._members(ref, True),
                                guess=True)
        binding = bindings.get(_head(ref))
        if binding is not None and ref.qualifier not in _SELF:
            target = absolute_target(binding.target, ref.path)
            if ref.qualifier:
                target = ".".join([target, *ref.qualifier.split(".", 1)[1:], ref.name])
            return self._decide(ref, ("import", target), lambda: self.imported(target))
        if not ref.qualifier:
            top = self.in_file.get((ref.name, ref.path), {}).get(ref.name)
            if top is not None:
                return Resolution(ref, RESOLVED, (top,))
            if receiver == VARIABLE:  # `foo = Foo()` in the file: that object, no definition
                return Resolution(ref, UNRESOLVED)
            no_methods = language in _NO_IMPLICIT_SELF
            return self._decide(ref, ("bare", no_methods), lambda: [
                d for d in self.by_name.get(ref.name, ())
                if not (no_methods and d.kind == "method")])
        # An object of unknown class whose member a builtin type also has (`m.span()`,
        # `s.rstrip()`) may well be that builtin's: a lone definition of it is a guess.
        builtin = language == "python" and ref.kind != IMPORT and ref.name in BUILTIN_MEMBERS
        return self._decide(ref, ("member", ref.qualifier, builtin), lambda: self._members(ref),
                            guess=builtin)

    def _decide(self, ref: SymbolReference, how: tuple,
                candidates: Callable[[], list[SymbolDefinition]], *,
                guess: bool = False) -> Resolution:
        """The outcome for `ref`, decided once per (name, how it was looked up): it does not
        depend on the file (candidates are ranked per file later, see ranked_candidates)."""
        memo = (ref.name, how)
        decided = self._decided.get(memo)
        if decided is None:
            # One qualified name defined twice in one file (`if ...: def f` / `else: def
            # f`, a property's getter and setter) is one symbol, not an ambiguity.
            found = _one_per_symbol(candidates())
            status = (AMBIGUOUS if len(found) > 1 or (guess and found)
                      else RESOLVED if found else UNRESOLVED)
            decided = self._decided[memo] = (status, tuple(found))
        return Resolution(ref, *decided)

    def _member_of(self, classes: tuple[SymbolDefinition, ...],
                   name: str) -> SymbolDefinition | None:
        """The first of `classes` (a class and its bases, in order) defining `name`."""
        for c in classes:
            found = self.in_file.get((name, c.path), {}).get(f"{c.qualified_name}.{name}")
            if found is not None:
                return found
        return None

    def imported(self, target: str) -> list[SymbolDefinition]:
        name = target.rsplit(".", 1)[-1]
        exact = self._index(self._full, name, _full_names).matching(target)
        if exact:
            return list(dict.fromkeys(exact))  # a definition may match by both its names
        # A package may re-export a name defined deeper inside it (pkg/__init__.py importing
        # from pkg/_impl.py): the definitions of that name under the target's package remain.
        packages = self._packages.get(name)
        if packages is None:
            packages = self._packages[name] = {}
            for d in self.by_name.get(name, ()):
                for top in dict.fromkeys(full.split(".", 1)[0] for full in _full_names(d)):
                    packages.setdefault(top, []).append(d)
        return packages.get(target.split(".", 1)[0], [])

    def _members(self, ref: SymbolReference, anyone: bool = False) -> list[SymbolDefinition]:
        if anyone or ref.qualifier in _SELF:  # no class known: any class's member of that name
            return [d for d in self.by_name.get(ref.name, ()) if "." in d.qualified_name]
        named = self._index(self._qualified, ref.name, lambda d: (d.qualified_name,)).matching(
            f"{ref.qualifier}.{ref.name}")
        # `obj.name` (a module the file imports took the import branch): only a member of
        # something can be meant, never a free function, also not one whose bare name ends
        # the written `obj.name` (`progress.track()` is no call of a function `track`).
        if ref.kind == IMPORT:  # `from pkg.mod import f` written out: a module's name,
            # by the modules' dotted names first (a module's `f`, not any other's)
            return self.imported(f"{ref.qualifier}.{ref.name}") or named
        members = [d for d in named if "." in d.qualified_name]
        return members or [d for d in self.by_name.get(ref.name, ()) if "." in d.qualified_name]

    def _index(self, indexes: dict[str, SuffixIndex], name: str,
               names_of: Callable[[SymbolDefinition], tuple[str, ...]]) -> SuffixIndex:
        index = indexes.get(name)
        if index is None:
            index = indexes[name] = SuffixIndex()
            for d in self.by_name.get(name, ()):
                for dotted in names_of(d):
                    index.add(dotted, d)
        return index

    def _in_enclosing_scope(self, ref: SymbolReference,
                            language: str) -> SymbolDefinition | None:
        """The definition of the name in the innermost enclosing scope of the same file."""
        same_file = self.in_file.get((ref.name, ref.path))
        if not same_file or not ref.scope:
            return None
        parts = ref.scope.split(".")
        for end in range(len(parts), 0, -1):
            found = same_file.get(".".join([*parts[:end], ref.name]))
            if found is None:
                continue
            if (not ref.qualifier and found.kind == "method" and end < len(parts)
                    and language in _NO_IMPLICIT_SELF):
                continue  # in a method a bare name never means a method of the class (in
                # the class body itself it does: `__copy__ = copy`, `@name.setter`)
            return found
        return None


def _one_per_symbol(found: list[SymbolDefinition]) -> list[SymbolDefinition]:
    """The first definition of each (file, qualified name), in order."""
    first: dict[tuple[str, str], SymbolDefinition] = {}
    for d in found:
        first.setdefault((d.path, d.qualified_name), d)
    return list(first.values())


def _full_names(d: SymbolDefinition) -> tuple[str, ...]:
    """The dotted names a definition is reachable by: through its file's module, and (Go,
    Java, ...) through its folder's package."""
    return (f"{module_of(d.path)}.{d.qualified_name}", f"{folder_of(d.path)}.{d.qualified_name}")


async def ranked_candidates(storage: Symbols, workspace_id: str,
                            resolutions: Sequence[Resolution],
                            limit: int) -> list[Resolution]:
    """The resolutions with each ambiguous one's `limit` likeliest candidates, ranked (once
    per file and candidate tuple: a page's references share both)."""
    ambiguous = {r.reference.path for r in resolutions if r.status == AMBIGUOUS}
    imports = await storage.get_imports(workspace_id, ambiguous) if ambiguous else {}
    done: dict[tuple[str, int], tuple[SymbolDefinition, ...]] = {}
    ranked = []
    for r in resolutions:
        if r.status == AMBIGUOUS:
            memo = (r.reference.path, id(r.candidates))
            if memo not in done:
                done[memo] = tuple(rank(r.reference, r.candidates,
                                        imports.get(r.reference.path, []), limit))
            r = Resolution(r.reference, AMBIGUOUS, done[memo])
        ranked.append(r)
    return ranked


def rank(ref: SymbolReference, candidates: Sequence[SymbolDefinition],
         imports: list[ImportBinding], limit: int | None = None) -> list[SymbolDefinition]:
    """Most likely first: same file, same folder, an imported module, then the others."""
    folder = posixpath.dirname(ref.path)
    # Every dotted prefix of every import target: a module is imported when one of its
    # dotted suffixes (a source folder left out) is among them.
    imported = {p for b in imports if not is_typed(b)
                for p in _prefixes(absolute_target(b.target, ref.path))}

    def closeness(d: SymbolDefinition) -> tuple[int, str, int, str]:
        if d.path == ref.path:
            tier = 0
        elif posixpath.dirname(d.path) == folder:
            tier = 1
        elif any(m in imported for m in dotted_suffixes(module_of(d.path))):
            tier = 2
        else:
            tier = 3
        return tier, d.path, d.start_line, d.qualified_name

    if limit is None:
        return sorted(candidates, key=closeness)
    return heapq.nsmallest(limit, candidates, key=closeness)


def _prefixes(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
