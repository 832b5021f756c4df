"""The memory adapter's symbols of one workspace: each file's, and which files hold a name."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from services.domain.path_glob import glob_to_regex
from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    FileSymbols,
    ReferenceColumns,
    SymbolDefinition,
    SymbolReference,
)
from services.storage.symbol_order import definition_order, placed, reference_order


class SymbolIndex:
    """Files' symbols (records with `path` set, references as columns), and name -> files
    that define or use it, so a lookup by name reads only the files that hold it."""

    def __init__(self) -> None:
        self.files: dict[str, FileSymbols] = {}
        self._defined: dict[str, set[str]] = {}  # name -> paths
        self._used: dict[str, set[str]] = {}
        # path -> (that file's reference names sorted, the position of each in its columns):
        # a lookup by name bisects to that name's references, not every reference of each
        # file that holds one; both are made in C, with no Python work per reference.
        self._uses: dict[str, tuple[list[str], list[int]]] = {}

    def drop(self, path: str) -> None:
        symbols = self.files.pop(path, None)
        if symbols is None:
            return
        _unlink(self._defined, {d.name for d in symbols.definitions}, path)
        self._uses.pop(path, None)
        _unlink(self._used, set(_names(symbols)), path)

    def add(self, path: str, symbols: FileSymbols) -> None:
        symbols = placed(path, symbols)
        self.files[path] = symbols
        for name in {d.name for d in symbols.definitions}:
            self._defined.setdefault(name, set()).add(path)
        names = _names(symbols)
        positions = sorted(range(len(names)), key=names.__getitem__)
        self._uses[path] = (list(map(names.__getitem__, positions)), positions)
        for name in set(names):
            self._used.setdefault(name, set()).add(path)

    def definitions(self, match: DefinitionMatch) -> list[SymbolDefinition]:
        keep = _definition_filter(match)
        found = [d for path in self._definition_paths(match)
                 for d in self.files[path].definitions if keep(d)]
        return sorted(found, key=definition_order)

    def references(self, names: Iterable[str], paths: Iterable[str]) -> list[SymbolReference]:
        names = set(names)
        wanted = set(paths)
        holders = {p for n in names for p in self._used.get(n, ())}
        if wanted:
            holders &= wanted
        found: list[SymbolReference] = []
        for path in holders:
            references = self.files[path].references
            by_name, positions = self._uses[path]
            for name in names:
                start = bisect_left(by_name, name)
                end = bisect_right(by_name, name, start)
                found += map(references.__getitem__, positions[start:end])
        return sorted(found, key=reference_order)

    def _definition_paths(self, match: DefinitionMatch) -> Iterator[str]:
        if match.names:
            candidates = {p for n in match.names for p in self._defined.get(n, ())}
        elif match.prefix:
            candidates = {p for n, holders in self._defined.items()
                          if n.startswith(match.prefix) for p in holders}
        else:
            candidates = set(self.files)
        if match.paths:
            candidates &= set(match.paths)
        return iter(candidates)


def _names(symbols: FileSymbols) -> list[str]:
    references = symbols.references
    assert isinstance(references, ReferenceColumns)  # placed() keeps them so
    return references.names


def _unlink(index: dict[str, set[str]], names: set[str], path: str) -> None:
    for name in names:
        holders = index[name]
        holders.discard(path)
        if not holders:
            del index[name]


def _definition_filter(match: DefinitionMatch) -> Callable[[SymbolDefinition], bool]:
    names = frozenset(match.names)
    qualified = frozenset(match.qualified_names)
    kinds = frozenset(match.kinds)
    paths = frozenset(match.paths)
    glob = compiled_glob(match.path_glob).match if match.path_glob else None

    def keep(d: SymbolDefinition) -> bool:
        return ((not names or d.name in names)
                and d.name.startswith(match.prefix)
                and (not qualified or d.qualified_name in qualified)
                and (not kinds or d.kind in kinds)
                and (not paths or d.path in paths)
                and (glob is None or glob(d.path) is not None))

    return keep


@lru_cache(maxsize=64)
def compiled_glob(pattern: str) -> re.Pattern[str]:
    return re.compile(glob_to_regex(pattern))
