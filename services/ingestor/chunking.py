"""The Parse stage's unit of work, run in a parse worker process: split, hash, tokenize.

Kept apart from the pipeline so that a worker imports only the parser and the tokenizer:
importing the pipeline would load the LLM and embedding clients too (about 45 MB in every
worker, a third of the memory the parse workers of a pathological workspace need).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from itertools import starmap
from operator import attrgetter

from services.domain.models import Chunk, chunk_id, content_hash
from services.domain.symbols import (
    FileSymbols,
    ImportBinding,
    ReferenceColumns,
    SymbolDefinition,
)
from services.domain.terms import code_terms
from services.ingestor.parse import (
    TREE_MAX_BYTES,
    ParsedChunk,
    parse_file,
    parse_source,
    utf8_size,
)


def build_chunks(path: str, language: str, parsed: Sequence[ParsedChunk]) -> list[Chunk]:
    """Domain chunks with ids derived from (path, content hash, span): stable across runs."""
    chunks = []
    for piece in parsed:
        digest = content_hash(piece.text)
        chunks.append(Chunk(id=chunk_id(path, digest, piece.start_line, piece.end_line,
                                     piece.start_column),
                            path=path, start_line=piece.start_line, end_line=piece.end_line,
                            start_column=piece.start_column,
                            symbol=piece.symbol, kind=piece.kind, language=language,
                            text=piece.text, content_hash=digest,
                            terms=code_terms(path, piece.symbol, piece.text)))
    return chunks


def parse_to_chunks(path: str, text: str, language: str) -> list[Chunk]:
    """The Parse stage's unit of work, run in a worker process: split, hash, tokenize."""
    return build_chunks(path, language, parse_source(path, text, language))


@dataclass(frozen=True, slots=True)
class ChunkedFile:
    """What the Parse stage makes of a file: its chunks and its symbols."""

    chunks: list[Chunk]
    symbols: FileSymbols

    def __reduce__(self) -> tuple:
        # It comes back from a parse worker pickled. A slots dataclass pickles through a
        # Python __getstate__/__setstate__ per record, which for a file's symbol records
        # cost more than extracting them: definitions and imports travel as plain tuples,
        # references (most of them) as columns, with no object per reference at all.
        s = self.symbols
        references = s.references
        if not isinstance(references, ReferenceColumns):
            references = ReferenceColumns.of(references, references[0].path if references else "")
        return _unpacked, (self.chunks, tuple(map(_DEFINITION_FIELDS, s.definitions)),
                           references, tuple(map(_IMPORT_FIELDS, s.imports)))


_DEFINITION_FIELDS = attrgetter(*(f.name for f in fields(SymbolDefinition)))
_IMPORT_FIELDS = attrgetter(*(f.name for f in fields(ImportBinding)))


def _unpacked(chunks: list[Chunk], definitions: tuple, references: ReferenceColumns,
              imports: tuple) -> ChunkedFile:
    return ChunkedFile(chunks, FileSymbols(tuple(starmap(SymbolDefinition, definitions)),
                                           references, tuple(starmap(ImportBinding, imports))))


def parse_to_file(path: str, text: str, language: str, symbols: bool = True) -> ChunkedFile:
    """`parse_to_chunks` and, with `symbols`, the symbols of the same syntax tree."""
    parsed = parse_file(path, text, language, symbols=symbols)
    return ChunkedFile(build_chunks(path, language, parsed.chunks), parsed.symbols)


def needs_parse_worker(text: str) -> bool:
    """False for text that tree-sitter never sees (over TREE_MAX_BYTES, see parse.py): it is
    split by lines and characters in plain Python, which cannot crash a process, so it is
    split where it was read. Sending it to a worker would cost the ingest process a pickled
    copy of the text going out and of all its chunks coming back (a 10 MB line: ~60 MB)."""
    return len(text) <= TREE_MAX_BYTES and utf8_size(text) <= TREE_MAX_BYTES
