"""The definitions a search query names: `parse_args`, `Router.url_path_for`, `getUser()`,
or a sentence that mentions `NotCallableError`.

An agent that writes an identifier usually wants the place it is defined, yet lexically the
name is as frequent in every caller, test and import, and semantically a bare name means
little. So hybrid search looks each named identifier up in the symbol graph (a lookup by name
in storage's index, not a scan) and hands fusion the chunks that hold the definitions
(fusion.py weighs them as one more ranking).

What counts as naming an identifier: a word in backticks; a word that only code writes
(snake_case, camelCase / CamelCase with two humps, a dotted `Class.method`, a call `name()`,
a leading underscore); or a query that is one word and nothing else. A plain English word in
a sentence ("where is render defined") names nothing: it cannot be told from prose.

A dotted name keeps the definitions whose module and qualified name end with it
(`Router.url_path_for`, `routing.Router.url_path_for`); none kept, none boosted, never a
guess. A name defined in several places shares the boost among them; one defined in more
than MAX_DEFINITIONS places (`__init__`, `run`) is not boosted at all.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.domain.models import Chunk, ScoredChunk
from services.domain.symbol_queries import DefinitionMatch
from services.domain.symbols import SymbolDefinition

MAX_NAMED = 3  # identifiers looked up per query, the first ones written
MAX_DEFINITIONS = 5  # a name defined in more places than this names no one place
_QUOTED = re.compile(r"`([^`\s]+)`")
_WORD = re.compile(r"[A-Za-z_][\w.]*\w(?:\(\))?|[A-Za-z_]")
_CODE_SHAPE = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]|^_+[A-Za-z]|[a-z][A-Z]|\w\.[A-Za-z_]|\(\)$")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Named:
    """One identifier as written: its bare name and the dotted qualifier before it."""

    name: str  # "url_path_for"
    dotted: str  # "Router.url_path_for" (the name alone when unqualified)

    @property
    def qualified(self) -> bool:
        return self.dotted != self.name


def _as_named(word: str) -> Named | None:
    word = word.strip(".").removesuffix("()")
    if not _IDENTIFIER.fullmatch(word):
        return None
    return Named(word.rsplit(".", 1)[-1], word)


def named_identifiers(text: str) -> list[Named]:
    """The identifiers a query names (module doc), in order, at most MAX_NAMED."""
    words = [w for w in text.split() if "/" not in w]  # a path names a file, not a symbol
    candidates = _QUOTED.findall(" ".join(words))
    if len(text.split()) == 1:
        candidates += words
    candidates += [w for word in words for w in _WORD.findall(word) if _CODE_SHAPE.search(w)]
    found: list[Named] = []
    for word in candidates:
        named = _as_named(word)
        if named is not None and named not in found:
            found.append(named)
    return found[:MAX_NAMED]


def module_path(path: str) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod` (`pkg/__init__.py` -> `pkg`)."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def written_as(definition: SymbolDefinition, named: Named) -> bool:
    """Whether `named` can mean this definition: same name, and a dotted form that ends its
    module-qualified name on a dot."""
    if definition.name != named.name:
        return False
    if not named.qualified:
        return True
    full = f"{module_path(definition.path)}.{definition.qualified_name}"
    return definition.qualified_name == named.dotted or full.endswith("." + named.dotted)


def holding_chunk(chunks: Sequence[Chunk], line: int) -> Chunk | None:
    """The innermost chunk of a file holding `line` (a method's own chunk, not its class's)."""
    holding = [c for c in chunks if c.start_line <= line <= c.end_line]
    return max(holding, key=lambda c: (c.start_line, -c.end_line), default=None)


# (workspace id, query text) -> the chunks holding the definitions the query names, scored
NamedLookup = Callable[[str, str], Awaitable[list[ScoredChunk]]]


class DefinitionStore(Protocol):
    """What the lookup reads: definitions by name, and a file's chunks."""

    async def find_definitions(self, workspace_id: str, match: DefinitionMatch,
                               limit: int, offset: int = 0) -> list[SymbolDefinition]: ...

    async def get_chunks(self, workspace_id: str, path: str) -> list[Chunk]: ...


def _match(named: Named) -> DefinitionMatch:
    """The lookup of a name: by bare name, and for a dotted one also by the qualified names
    it could end with (`a.B.m`: `m`, `B.m`, `a.B.m`; the module part is checked after)."""
    if not named.qualified:
        return DefinitionMatch(names=(named.name,))
    parts = named.dotted.split(".")
    return DefinitionMatch(names=(named.name,), qualified_names=tuple(
        ".".join(parts[i:]) for i in range(len(parts))))


async def named_definitions(store: DefinitionStore, workspace_id: str,
                            text: str) -> list[ScoredChunk]:
    """The chunks holding the definitions `text` names, each scored by its share of its
    name's boost (1 for a name defined once, 1/n for n places), best first."""
    shares: dict[tuple[str, int], float] = {}
    for named in named_identifiers(text):
        found = await store.find_definitions(workspace_id, _match(named),
                                             limit=MAX_DEFINITIONS + 1)
        places = [d for d in found if written_as(d, named)]
        if 0 < len(places) <= MAX_DEFINITIONS and len(found) <= MAX_DEFINITIONS:
            for d in places:
                key = (d.path, d.start_line)
                shares[key] = max(shares.get(key, 0.0), 1.0 / len(places))
    scored: dict[str, ScoredChunk] = {}
    for path in sorted({p for p, _ in shares}):
        chunks = await store.get_chunks(workspace_id, path)
        for (where, line), share in shares.items():
            chunk = holding_chunk(chunks, line) if where == path else None
            if chunk is not None and share > scored.get(chunk.id, ScoredChunk(chunk, 0)).score:
                scored[chunk.id] = ScoredChunk(chunk, share)
    return sorted(scored.values(), key=lambda h: (-h.score, h.chunk.path, h.chunk.start_line))


def named_in(store: DefinitionStore) -> NamedLookup:
    """The lookup of `named_definitions` over one storage."""
    return lambda workspace_id, text: named_definitions(store, workspace_id, text)
