"""Symbols in PostgreSQL (the `Symbols` role): three tables keyed by (workspace, path), written
by replace_file with the file's chunks (`symbol_arrays`, knowport_replace_file of migration
010) and removed with the file row (cascade)."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from services.domain.path_glob import glob_to_regex
from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import (
    FileSymbols,
    ImportBinding,
    ReferenceColumns,
    SymbolDefinition,
    SymbolReference,
)
from services.storage.postgres.pool import PostgresPool
from services.storage.symbol_order import lines_of

_DEFINITION_COLUMNS = ("path", "name", "qualified_name", "kind", "start_line", "end_line",
                       "signature")
_REFERENCE_COLUMNS = ("path", "name", "qualifier", "kind", "line", "col", "scope")
_IMPORT_COLUMNS = ("path", "local_name", "target", "line")
_DEFINITION_ORDER = ('path COLLATE "C", start_line, qualified_name COLLATE "C", end_line, '
                     'kind COLLATE "C", name COLLATE "C"')
_REFERENCE_ORDER = ('path COLLATE "C", line, col, name COLLATE "C", kind COLLATE "C", '
                    'qualifier COLLATE "C", scope COLLATE "C"')


def symbol_arrays(symbols: FileSymbols | None) -> list[list]:
    """A file's symbols as the parallel column arrays knowport_replace_file takes (migration
    010): definitions (name, qualified name, kind, start line, end line, signature),
    references (name, qualifier, kind, line, column, scope), imports (local name, target,
    line). None (not extracted) stores none, as an empty FileSymbols does."""
    definitions = symbols.definitions if symbols else ()
    references = symbols.references if symbols else ()
    imports = symbols.imports if symbols else ()
    if isinstance(references, ReferenceColumns):  # from extraction: the columns already
        reference_columns = [references.names, references.qualifiers, references.kinds,
                             list(references.lines), list(references.columns), references.scopes]
    else:
        reference_columns = _columns([(r.name, r.qualifier, r.kind, r.line, r.column, r.scope)
                                      for r in references], 6)
    return [
        *_columns([(d.name, d.qualified_name, d.kind, d.start_line, d.end_line, d.signature)
                   for d in definitions], 6),
        *reference_columns,
        *_columns([(i.local_name, i.target, i.line) for i in imports], 3),
    ]


def _columns(records: list[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*records, strict=True)] if records else [
        [] for _ in range(width)]


def _definition(row: asyncpg.Record) -> SymbolDefinition:
    return SymbolDefinition(name=row["name"], qualified_name=row["qualified_name"],
                            kind=row["kind"], start_line=row["start_line"],
                            end_line=row["end_line"], signature=row["signature"],
                            path=row["path"])


def _reference(row: asyncpg.Record) -> SymbolReference:
    return SymbolReference(name=row["name"], qualifier=row["qualifier"], kind=row["kind"],
                           line=row["line"], column=row["col"], scope=row["scope"],
                           path=row["path"])


def _import(row: asyncpg.Record) -> ImportBinding:
    return ImportBinding(local_name=row["local_name"], target=row["target"], line=row["line"],
                         path=row["path"])


def _match_sql(match: DefinitionMatch, args: list) -> str:
    """` AND ...` conditions for `match`, appending their values to `args`."""
    conditions = []

    def add(condition: str, value: object) -> None:
        args.append(value)
        conditions.append(" AND " + condition.format(f"${len(args)}"))

    if match.names:
        add('name COLLATE "C" = ANY({}::text[])', sorted(set(match.names)))
    if match.prefix:
        escaped = match.prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        add('name COLLATE "C" LIKE {}', escaped + "%")
    if match.qualified_names:
        add('qualified_name COLLATE "C" = ANY({}::text[])', sorted(set(match.qualified_names)))
    if match.kinds:
        add("kind = ANY({}::text[])", sorted(set(match.kinds)))
    if match.paths:
        add("path = ANY({}::text[])", sorted(set(match.paths)))
    if match.path_glob:
        add("path ~ {}", glob_to_regex(match.path_glob))
    return "".join(conditions)


class PostgresSymbols(PostgresPool):
    async def find_definitions(self, workspace_id: str, match: DefinitionMatch,
                               limit: int, offset: int = 0) -> list[SymbolDefinition]:
        if limit <= 0:
            return []
        args: list = [workspace_id]
        where = _match_sql(match, args)
        args += [limit, max(offset, 0)]
        async with self._connection() as conn:
            found = await conn.fetch(
                f"SELECT {', '.join(_DEFINITION_COLUMNS)} FROM symbol_definitions "
                f"WHERE workspace_id = $1{where} ORDER BY {_DEFINITION_ORDER} "
                f"LIMIT ${len(args) - 1} OFFSET ${len(args)}", *args)
        return [_definition(r) for r in found]

    async def find_references(self, workspace_id: str, names: Iterable[str],
                              paths: Iterable[str] = ()) -> list[SymbolReference]:
        names, paths = sorted(set(names)), sorted(set(paths))
        if not names:
            return []
        in_paths = " AND path = ANY($3::text[])" if paths else ""
        async with self._connection() as conn:
            found = await conn.fetch(
                f"SELECT {', '.join(_REFERENCE_COLUMNS)} FROM symbol_references "
                f'WHERE workspace_id = $1 AND name COLLATE "C" = ANY($2::text[]){in_paths} '
                f"ORDER BY {_REFERENCE_ORDER}", workspace_id, names, *([paths] if paths else []))
        return [_reference(r) for r in found]

    async def get_symbols(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, FileSymbols]:
        paths = sorted(set(paths))
        if not paths:
            return {}
        # One snapshot, so a file's three lists belong to one version of it.
        async with self._connection() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            files = await conn.fetch("SELECT path FROM files WHERE workspace_id = $1 "
                                     "AND path = ANY($2::text[])", workspace_id, paths)
            lists = [await conn.fetch(
                f"SELECT {', '.join(columns)} FROM {table} WHERE workspace_id = $1 "
                f"AND path = ANY($2::text[]) ORDER BY {order}", workspace_id, paths)
                for table, columns, order in (
                    ("symbol_definitions", _DEFINITION_COLUMNS, _DEFINITION_ORDER),
                    ("symbol_references", _REFERENCE_COLUMNS, _REFERENCE_ORDER),
                    ("symbol_imports", _IMPORT_COLUMNS,
                     'path COLLATE "C", line, local_name COLLATE "C", target COLLATE "C"'))]
        by_path: dict[str, tuple[list, list, list]] = {r["path"]: ([], [], []) for r in files}
        for position, (rows, convert) in enumerate(zip(lists, (_definition, _reference,
                                                               _import), strict=True)):
            for row in rows:
                if row["path"] in by_path:
                    by_path[row["path"]][position].append(convert(row))
        return {p: FileSymbols(tuple(d), tuple(r), tuple(i)) for p, (d, r, i) in by_path.items()}

    async def get_imports(self, workspace_id: str,
                          paths: Iterable[str]) -> dict[str, list[ImportBinding]]:
        paths = sorted(set(paths))
        if not paths:
            return {}
        async with self._connection() as conn:
            found = await conn.fetch(
                f"SELECT {', '.join(_IMPORT_COLUMNS)} FROM symbol_imports "
                "WHERE workspace_id = $1 AND path = ANY($2::text[]) "
                'ORDER BY path COLLATE "C", line, local_name COLLATE "C", target COLLATE "C"',
                workspace_id, paths)
        imports: dict[str, list[ImportBinding]] = {}
        for row in found:
            imports.setdefault(row["path"], []).append(_import(row))
        return imports

    async def line_texts(self, workspace_id: str,
                         lines: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        pairs = sorted(set(lines))
        if not pairs:
            return {}
        # Only the chunks holding a wanted line, found through the (path, start_line) index.
        async with self._connection() as conn:
            found = await conn.fetch(
                "SELECT DISTINCT c.path, c.start_line, c.text FROM chunks c "
                "JOIN unnest($2::text[], $3::int[]) AS w(path, line) "
                "ON c.path = w.path AND c.start_line <= w.line AND c.end_line >= w.line "
                "WHERE c.workspace_id = $1 AND c.start_column = 0",
                workspace_id, [p for p, _ in pairs], [n for _, n in pairs])
        return lines_of(((r["path"], r["start_line"], r["text"]) for r in found), set(pairs))
