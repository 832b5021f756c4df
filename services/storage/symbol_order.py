"""The one order both adapters return symbols in, a file's symbols with its path set, and
lines of text out of chunks."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from itertools import islice
from operator import attrgetter, lt
from typing import TypeVar

from services.domain.symbols import FileSymbols, ReferenceColumns, SymbolReference

# Sort keys read in C (a file's references number in the hundreds, a workspace's in millions).
definition_order = attrgetter("path", "start_line", "qualified_name", "end_line", "kind", "name")
reference_order = attrgetter("path", "line", "column", "name", "kind", "qualifier", "scope")
import_order = attrgetter("line", "local_name", "target")

_Record = TypeVar("_Record")


def placed(path: str, symbols: FileSymbols) -> FileSymbols:
    """`symbols` with every record's `path` set to `path`, each list in storage order; the
    references as columns (`ReferenceColumns`)."""
    return FileSymbols(
        definitions=_in_order(path, symbols.definitions, definition_order),
        references=_references_in_order(path, symbols.references),
        imports=_in_order(path, symbols.imports, import_order))


def _in_order(path: str, records: Iterable[_Record], order: attrgetter) -> tuple[_Record, ...]:
    # Extraction sets the path already: a copy of each record would cost more than the rest.
    return tuple(sorted((r if r.path == path else replace(r, path=path) for r in records),
                        key=order))


def _references_in_order(path: str, references: Sequence[SymbolReference]) -> ReferenceColumns:
    if not isinstance(references, ReferenceColumns):
        return ReferenceColumns.of(sorted((r._replace(path=path) for r in references),
                                          key=reference_order), path)
    if references.path != path:
        references = ReferenceColumns(references.names, references.qualifiers, references.kinds,
                                      references.lines, references.columns, references.scopes,
                                      path)
    # Extraction yields them in file order: when no two start at one place, that is storage
    # order already, checked in C without a record per reference.
    places = list(zip(references.lines, references.columns, strict=True))
    if all(map(lt, places, islice(places, 1, None))):
        return references
    return ReferenceColumns.of(sorted(references, key=reference_order), path)


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
