"""Search across several workspaces: each workspace's rankings merged into one, which the
single-workspace search (search.py) then pages and fuses exactly as it fuses one workspace's.

`Across` plays the storage's `ChunkSearch` role over a set of workspaces: a lexical or
semantic ranking of the set is the best `limit` hits of the union of each workspace's best
`limit`, by score. Hybrid search then fuses the merged lexical and semantic rankings with
fusion.py, so a cross-workspace ranking is the per-workspace rankings fused by the same rule
(tests/integration/test_workspaces_search.py checks it against a fusion computed apart).

Scores are comparable across workspaces without rescaling. Semantic scores are cosines in one
embedding space. Lexical scores are BM25 over each workspace's own statistics, and BM25's
weight of a term, ln(1 + (N - n + 0.5) / (n + 0.5)), depends on the share of chunks holding
it (n / N), not on how many chunks there are, and a chunk's length is weighed against its own
workspace's average: a match of one rare identifier weighs the same in a small library and a
large service. Where a term is common in one workspace and rare in another, it counts for more
where it is rare, as it does within one workspace. Hybrid fusion normalises each merged
ranking between its floor and its best hit, so only the order within each ranking and the
gaps between scores matter.

A query that names a definition (named.py) has it looked up in each workspace, and each one
found adds its boost as in a single workspace (`named_across`).

Chunk ids are unique within a workspace only (a second worktree holds the very same chunks),
so the merged hits carry `<workspace>\\0<chunk id>` ids while they are fused; `untag` restores
each hit's own id and names its workspace. Request text cannot hold NUL (rpc/requests.py), so
the tag cannot be forged or collide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from services.domain.models import ScoredChunk, SearchFilters
from services.knowledge.fusion import tie_score
from services.knowledge.named import DefinitionStore, NamedLookup, named_definitions
from services.knowledge.search import SearchStore

_TAG = "\0"


def merged(rankings: Sequence[tuple[str, Sequence[ScoredChunk]]],
           limit: int) -> list[ScoredChunk]:
    """The best `limit` hits of several workspaces' rankings, their ids tagged by workspace."""
    pairs = [(workspace, hit) for workspace, ranking in rankings for hit in ranking]
    # best_first's order, the workspace breaking ties before the chunk id; only the hits
    # kept are copied with tagged ids (a copy costs more than the sort).
    pairs.sort(key=lambda p: (-tie_score(p[1].score), p[1].chunk.path, p[1].chunk.start_line, p[0],
                              p[1].chunk.id))
    return [ScoredChunk(replace(hit.chunk, id=f"{workspace}{_TAG}{hit.chunk.id}"), hit.score)
            for workspace, hit in pairs[:limit]]


def untag(hit: ScoredChunk, default_workspace: str) -> ScoredChunk:
    """The hit with its chunk's own id and its workspace named (an untagged hit is from
    `default_workspace`)."""
    workspace, tagged, chunk_id = hit.chunk.id.partition(_TAG)
    if not tagged:
        return ScoredChunk(hit.chunk, hit.score, default_workspace)
    return ScoredChunk(replace(hit.chunk, id=chunk_id), hit.score, workspace)


def named_across(store: DefinitionStore, workspace_ids: Sequence[str]) -> NamedLookup:
    """The definitions a query names in each of the workspaces (named.py), their ids tagged
    by workspace like the merged rankings' (the workspace argument is ignored)."""
    async def lookup(_: str, text: str) -> list[ScoredChunk]:
        found = await asyncio.gather(*(named_definitions(store, ws, text)
                                       for ws in workspace_ids))
        return [ScoredChunk(replace(hit.chunk, id=f"{ws}{_TAG}{hit.chunk.id}"), hit.score)
                for ws, hits in zip(workspace_ids, found, strict=True) for hit in hits]

    return lookup


class Across:
    """The rankings of several workspaces as one (the workspace argument is ignored)."""

    def __init__(self, storage: SearchStore, workspace_ids: Sequence[str]) -> None:
        self._storage = storage
        self._ids = tuple(workspace_ids)

    async def _each(self, search: Callable[[str], Awaitable[list[ScoredChunk]]],
                    limit: int) -> list[ScoredChunk]:
        found = await asyncio.gather(*(search(workspace) for workspace in self._ids))
        return merged(list(zip(self._ids, found, strict=True)), limit)

    async def search_lexical(self, workspace_id: str, query: str, limit: int,
                             filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        return await self._each(
            lambda ws: self._storage.search_lexical(ws, query, limit, filters), limit)

    async def search_semantic(self, workspace_id: str, vector: Sequence[float], limit: int,
                              filters: SearchFilters = SearchFilters()) -> list[ScoredChunk]:
        return await self._each(
            lambda ws: self._storage.search_semantic(ws, vector, limit, filters), limit)

    async def vector_coverage(self, workspace_id: str) -> tuple[int, int]:
        """Summed over the workspaces: how much of them all the semantic ranking can see."""
        counts = await asyncio.gather(*(self._storage.vector_coverage(ws) for ws in self._ids))
        return sum(embedded for embedded, _ in counts), sum(chunks for _, chunks in counts)
