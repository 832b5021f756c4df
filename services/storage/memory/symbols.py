"""The `Symbols` role of the memory adapter (each space's SymbolIndex is kept by Space)."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    FileSymbols,
    ImportBinding,
    SymbolDefinition,
    SymbolReference,
)
from services.storage.memory.space import Space
from services.storage.symbol_order import lines_of


class MemorySymbols:
    """Reads the symbols that MemoryStorage.replace_file stored with each file."""

    _lock: threading.RLock
    _spaces: dict[str, Space]

    async def find_definitions(self, workspace_id: str, match: DefinitionMatch,
                               limit: int, offset: int = 0) -> list[SymbolDefinition]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            found = [] if space is None or limit <= 0 else space.symbols.definitions(match)
        return found[max(offset, 0):max(offset, 0) + max(limit, 0)]

    async def find_references(self, workspace_id: str, names: Iterable[str],
                              paths: Iterable[str] = ()) -> list[SymbolReference]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            return [] if space is None else space.symbols.references(names, paths)

    async def get_symbols(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, FileSymbols]:
        with self._lock:
            space = self._spaces.get(workspace_id)
            if space is None:
                return {}
            return {p: s for p in paths if (s := space.symbols.files.get(p)) is not None}

    async def get_imports(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, list[ImportBinding]]:
        found = await self.get_symbols(workspace_id, paths)
        return {p: list(s.imports) for p, s in found.items() if s.imports}

    async def line_texts(self, workspace_id: str,
                         lines: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        wanted = set(lines)
        with self._lock:
            space = self._spaces.get(workspace_id)
            chunks = [] if space is None else [
                c for path in {p for p, _ in wanted} for c in space.chunks.get(path, ())]
        return lines_of(((c.path, c.start_line, c.text) for c in chunks if not c.start_column),
                        wanted)
