"""The one order both adapters return symbols in, a file's symbols with its path set, and
lines of text out of chunks."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from services.domain.symbols import FileSymbols, SymbolDefinition, SymbolReference


def definition_order(d: SymbolDefinition) -> tuple:
    return d.path, d.start_line, d.qualified_name, d.end_line, d.kind, d.name


def reference_order(r: SymbolReference) -> tuple:
    return r.path, r.line, r.column, r.name, r.kind, r.qualifier, r.scope


def placed(path: str, symbols: FileSymbols) -> FileSymbols:
    """`symbols` with every record's `path` set to `path`, each list in storage order."""
    return FileSymbols(
        definitions=tuple(sorted((replace(d, path=path) for d in symbols.definitions),
                                 key=definition_order)),
        references=tuple(sorted((replace(r, path=path) for r in symbols.references),
                                key=reference_order)),
        imports=tuple(sorted((replace(i, path=path) for i in symbols.imports),
                             key=lambda i: (i.line, i.local_name, i.target))))


def lines_of(pieces: Iterable[tuple[str, int, str]],
             wanted: Collection[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """(path, line) -> the text of each wanted line in the pieces (path, start line, text)
    of chunks that start a line (a long line's later pieces are left to the caller)."""
    found: dict[tuple[str, int], str] = {}
    for path, start_line, text in pieces:
        for offset, line_text in enumerate(text.split("\n")):
            key = (path, start_line + offset)
            if key in wanted:
                found.setdefault(key, line_text)
    return found
