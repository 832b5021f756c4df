"""FindReferences and GetImpact: the uses of a name, of a definition, or of everything a file
or line span defines, each resolved (services/knowledge/symbols/resolve.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from services.domain.errors import NotFound
from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import IMPORT, SymbolDefinition, SymbolReference, is_typed
from services.knowledge.symbols.resolve import MeansAny, Resolution, resolve
from services.storage.port import Files, Symbols

_ALL = 1_000_000


class SymbolIndex(Files, Symbols, Protocol):
    """What the symbol queries read: file records and their symbols."""


async def definitions_named(storage: Symbols, workspace_id: str, qualified_name: str,
                            path: str) -> list[SymbolDefinition]:
    """The definitions of `qualified_name` in `path` (overloads share one); NotFound if none."""
    found = await storage.find_definitions(
        workspace_id, DefinitionMatch(qualified_names=(qualified_name,), paths=(path,)), _ALL)
    if not found:
        raise NotFound(f"no definition {qualified_name!r} in {path!r}; FindSymbols lists the "
                       "qualified names", metadata={"qualified_name": qualified_name,
                                                    "path": path})
    return found


async def references_of_name(storage: Symbols, workspace_id: str, name: str,
                             kinds: Collection[str] = ()) -> list[Resolution]:
    """Every use of the bare name, each resolved, ambiguous or unresolved."""
    found = await storage.find_references(workspace_id, [name])
    return await resolve(storage, workspace_id,
                         [r for r in found if not kinds or r.kind in kinds])


async def references_to(storage: Symbols, workspace_id: str,
                        targets: Sequence[SymbolDefinition], kinds: Collection[str] = (),
                        outside: tuple[str, int, int] | None = None) -> list[Resolution]:
    """The uses that resolve to one of `targets`, and the ambiguous ones that may mean one,
    leaving out those in `outside`'s (path, first line, last line)."""
    found = await uses_of(storage, workspace_id, {d.name for d in targets})
    found = [r for r in found if (not kinds or r.kind in kinds)
             and not (outside and r.path == outside[0] and outside[1] <= r.line <= outside[2])]
    means = MeansAny(targets)
    return [r for r in await resolve(storage, workspace_id, found) if means(r)]


async def uses_of(storage: Symbols, workspace_id: str,
                  names: set[str]) -> list[SymbolReference]:
    """The references named one of `names`, and the uses of `g` in the files that import
    one of them as `g` (`from m import f as g`: found by the import's reference to `f`)."""
    found = await storage.find_references(workspace_id, names)
    return found + await _through_aliases(storage, workspace_id, names, found)


async def _through_aliases(storage: Symbols, workspace_id: str, names: set[str],
                           found: list[SymbolReference]) -> list[SymbolReference]:
    importing = {r.path for r in found if r.kind == IMPORT}
    if not importing:
        return []
    aliases = {(b.path or path, b.local_name)
               for path, bindings in (await storage.get_imports(workspace_id, importing)).items()
               for b in bindings
               if not is_typed(b) and b.local_name not in names
               and b.target.rsplit(".", 1)[-1] in names}
    if not aliases:
        return []
    more = await storage.find_references(workspace_id, {a for _, a in aliases},
                                         {p for p, _ in aliases})
    return [r for r in more if (r.path, r.name) in aliases and r.kind != IMPORT]


async def impact(storage: SymbolIndex, workspace_id: str, path: str, start_line: int,
                 end_line: int) -> tuple[list[SymbolDefinition], list[Resolution]]:
    """The definitions overlapping the span (the whole file when end_line is 0) and the uses
    of them elsewhere. NotFound when the file is not indexed."""
    if await storage.get_file(workspace_id, path) is None:
        raise NotFound(f"{path!r} is not indexed", metadata={"path": path})
    last = end_line or 2**31 - 1
    first = max(start_line, 1)
    symbols = (await storage.get_symbols(workspace_id, [path])).get(path)
    defined = [d for d in (symbols.definitions if symbols else ())
               if d.start_line <= last and d.end_line >= first]
    if not defined:
        return [], []
    return defined, await references_to(storage, workspace_id, defined,
                                        outside=(path, first, last))
