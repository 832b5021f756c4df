"""Reading symbol extraction results in tests: compact tuples that are easy to compare."""

from __future__ import annotations

import textwrap

from services.domain.symbols import FileSymbols, is_typed
from services.ingestor.parse import grammar_installed, parse_file


def extract(path: str, text: str, language: str) -> FileSymbols:
    """The symbols of `text` (dedented) as the parse stage extracts them."""
    if not grammar_installed(language):  # a slimmed install: say so rather than pass
        raise AssertionError(f"no tree-sitter grammar installed for {language}")
    return parse_file(path, textwrap.dedent(text).lstrip("\n"), language).symbols


def definitions(symbols: FileSymbols) -> set[tuple[str, str, int]]:
    """(kind, qualified name, start line) of each definition."""
    return {(d.kind, d.qualified_name, d.start_line) for d in symbols.definitions}


def references(symbols: FileSymbols) -> set[tuple[str, str, str, int, str]]:
    """(kind, qualifier, name, line, scope) of each reference."""
    return {(r.kind, r.qualifier, r.name, r.line, r.scope) for r in symbols.references}


def imports(symbols: FileSymbols) -> set[tuple[str, str]]:
    """(local name, target) of each import binding (typed names left out)."""
    return {(i.local_name, i.target) for i in symbols.imports if not is_typed(i)}


def typed(symbols: FileSymbols) -> set[tuple[str, str]]:
    """("name@scope", type as written) of each typed name."""
    return {(i.local_name, i.target) for i in symbols.imports if is_typed(i)}


def signature(symbols: FileSymbols, qualified_name: str) -> str:
    return next(d.signature for d in symbols.definitions if d.qualified_name == qualified_name)
