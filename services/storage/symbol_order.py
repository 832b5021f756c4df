"""The one order both adapters return symbols in, a file's symbols with its path set, and
lines of text out of chunks."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import is_dataclass, replace
from operator import attrgetter
from typing import Any, TypeVar

from services.domain.symbols import FileSymbols

# Sort keys read in C (a file's references number in the hundreds, a workspace's in millions).
definition_order = attrgetter("path", "start_line", "qualified_name", "end_line", "kind", "name")
reference_order = attrgetter("path", "line", "column", "name", "kind", "qualifier", "scope")
import_order = attrgetter("line", "local_name", "target")

_Record = TypeVar("_Record")


def placed(path: str, symbols: FileSymbols) -> FileSymbols:
    """`symbols` with every record's `path` set to `path`, each list in storage order."""
    return FileSymbols(
        definitions=_in_order(path, symbols.definitions, definition_order),
        references=_in_order(path, symbols.references, reference_order),
        imports=_in_order(path, symbols.imports, import_order))


def _in_order(path: str, records: Iterable[_Record], order: attrgetter) -> tuple[_Record, ...]:
    # Extraction sets the path already: a copy of each record would cost more than the rest.
    return tuple(sorted((r if r.path == path else _with_path(r, path) for r in records),
                        key=order))


def _with_path(record: Any, path: str) -> Any:
    # SymbolReference is a NamedTuple, the other records dataclasses.
    return replace(record, path=path) if is_dataclass(record) else record._replace(path=path)


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
