"""The one order both adapters return symbols in, and a file's symbols with its path set."""

from __future__ import annotations

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
