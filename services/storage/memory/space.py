"""The memory adapter's store of one workspace: its files and chunks with their search
indexes, and the order and filters its chunks are searched by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from services.domain.models import Chunk, FileRecord, SearchFilters
from services.domain.symbols import FileSymbols
from services.domain.terms import lexical_document
from services.storage.memory.bm25 import Bm25Index
from services.storage.memory.symbol_index import SymbolIndex, compiled_glob
from services.storage.memory.vectors import VectorIndex


@dataclass
class Space:
    """The files and chunks of one workspace, with their search indexes."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    chunks: dict[str, tuple[Chunk, ...]] = field(default_factory=dict)  # path -> by start line
    by_id: dict[str, Chunk] = field(default_factory=dict)
    lexical: Bm25Index = field(default_factory=Bm25Index)
    vectors: dict[int, VectorIndex] = field(default_factory=dict)  # one per dimension
    symbols: SymbolIndex = field(default_factory=SymbolIndex)

    def drop(self, path: str) -> bool:
        if self.files.pop(path, None) is None:
            return False
        self.symbols.drop(path)
        for chunk in self.chunks.pop(path, ()):
            del self.by_id[chunk.id]
            self.lexical.remove(chunk.id)
            if chunk.embedding is not None:
                index = self.vectors.get(len(chunk.embedding))
                if index is not None:
                    index.remove(chunk.id)
        return True

    def add(self, file: FileRecord, chunks: tuple[Chunk, ...],
            symbols: FileSymbols | None = None) -> None:
        self.files[file.path] = file
        self.symbols.add(file.path, symbols or FileSymbols())
        kept = []
        for chunk in chunks:
            # The document is already its tokens, space-joined: what PostgreSQL indexes too.
            self.lexical.add(chunk.id, lexical_document(chunk).split())
            # The index holds the terms now; a second copy on the chunk would about double
            # what a file costs here (PostgreSQL does not return them either).
            chunk = replace(chunk, terms="") if chunk.terms else chunk
            self.by_id[chunk.id] = chunk
            kept.append(chunk)
            if chunk.embedding is not None:
                self.vectors.setdefault(len(chunk.embedding), VectorIndex()).add(
                    chunk.id, chunk.embedding)
        self.chunks[file.path] = tuple(kept)


def chunk_order(chunk: Chunk) -> tuple[int, int, int, str]:
    # Text order: the pieces of one long line share its number and follow by column.
    return chunk.start_line, chunk.start_column, chunk.end_line, chunk.id


def place(chunk: Chunk) -> tuple[str, int, str]:
    """Where a chunk sorts among equal scores: earlier path and line first, as in PostgreSQL."""
    return chunk.path, chunk.start_line, chunk.id


def matcher(filters: SearchFilters) -> Callable[[Chunk], bool]:
    path = compiled_glob(filters.path_glob).match if filters.path_glob else None

    languages = frozenset(filters.languages)
    kinds = frozenset(filters.kinds)

    def keep(chunk: Chunk) -> bool:
        return ((path is None or path(chunk.path) is not None)
                and (not languages or chunk.language in languages)
                and (not kinds or chunk.kind in kinds))

    return keep

