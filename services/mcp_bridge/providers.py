"""The docs search chain (ADR 008's SearchProvider / SearchManager): the local docs index, then
the KnowledgeService, then an optional LLM, each asked only if the ones before it could not
answer.

`SearchManager.search` validates the request once (a malformed query or page is the caller's
error, whichever provider would get it), then tries the providers in order:

* unavailable (`is_available()` is False, or raises): skipped, logged with its reason;
* failing (raises, or takes longer than its own `timeout`, else the manager's): skipped,
  logged with its reason;
* answering with hits: its answer is the result, which names it and lists the skipped ones;
* answering with no hits at all: the next provider is tried (as in the ADR: the local index
  knows only the docs, the KnowledgeService knows the code too). The empty answer is listed in
  `skipped` as "no hits"; if no provider has any hit, the first empty answer is the result.
  An empty page past the end of a provider's hits (offset > 0, and the provider found
  something or cannot say) is its answer, not a reason to ask the next one: offsets are
  per provider, and page 2 of one provider must not continue with page 2 of another.

If no provider answers at all, `NoProviderAnswered` (UNAVAILABLE) says why each did not.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.domain.errors import Unavailable
from services.mcp_bridge.docs_index import DocsIndex
from services.mcp_bridge.docs_query import SNIPPET_CHARS, parse_query
from services.mcp_bridge.docs_results import DEFAULT_LIMIT, DocHit, fitting_hits, page_bounds

log = logging.getLogger(__name__)

# `search(query, limit)` of the KnowledgeService or an LLM: a list of hits as dicts, each with
# "path" and optionally "line" (or "start_line"), "score" and "snippet" (or "text").
SearchFunction = Callable[[str, int], Awaitable[list[Mapping[str, Any]]]]
AvailabilityCheck = Callable[[], Awaitable[bool]]
# "" when the provider may be asked now, else why not (e.g. "LLM locked by agent-7").
BlockedCheck = Callable[[], Awaitable[str]]

DEFAULT_TIMEOUT_SECONDS = 10.0
# A provider without offsets is asked for offset + limit + 1 hits; deeper pages are not served.
MAX_FETCH = 500
NO_HITS = "no hits"


@dataclass(frozen=True)
class ProviderResult:
    hits: list[DocHit]
    total: int | None = None  # matches over all pages, when the provider knows
    truncated: bool = False  # more hits exist: ask again with offset=next_offset
    next_offset: int | None = None


@dataclass(frozen=True)
class ManagerResult:
    provider: str  # the provider whose answer this is
    hits: list[DocHit]
    skipped: list[tuple[str, str]]  # (provider, why it did not answer), in chain order
    truncated: bool
    next_offset: int | None
    total: int | None = None


class NoProviderAnswered(Unavailable):
    """Every provider of the chain was unavailable or failed."""

    default_reason = "NO_SEARCH_PROVIDER"

    def __init__(self, skipped: list[tuple[str, str]]) -> None:
        why = "; ".join(f"{name}: {reason}" for name, reason in skipped) or "none configured"
        super().__init__(f"no search provider could answer ({why})",
                         metadata={name: reason for name, reason in skipped})
        self.skipped = skipped


class SearchProvider(ABC):
    """One way of answering a docs search (ADR 008's SearchProvider)."""

    name: str
    # Why is_available() last said False; providers with several reasons update it.
    unavailable_reason: str = "unavailable"
    # Seconds it may take (availability check included); None: the manager's timeout.
    timeout: float | None = None

    @abstractmethod
    async def search(self, query: str, mode: str | None, limit: int,
                     offset: int) -> ProviderResult:
        """One page of hits, best first. `mode` is "and", "or", "phrase" or None (inferred
        from the query); providers that have no modes search the query text as it is."""

    async def is_available(self) -> bool:
        return True

    async def close(self) -> None:
        """Release what the provider holds (a client's connections); nothing by default."""
        return None


class LocalIndexProvider(SearchProvider):
    """The local docs index, run in a worker thread: it reads files."""

    def __init__(self, index: DocsIndex, *, name: str = "local_index") -> None:
        self.index = index
        self.name = name

    async def is_available(self) -> bool:
        if await asyncio.to_thread(self.index.root.is_dir):
            return True
        self.unavailable_reason = f"docs root {self.index.root} is not a directory"
        return False

    async def search(self, query: str, mode: str | None, limit: int,
                     offset: int) -> ProviderResult:
        found = await asyncio.to_thread(self.index.search, query, mode, limit, offset)
        return ProviderResult(list(found.hits), found.total, found.truncated, found.next_offset)


class CallbackProvider(SearchProvider):
    """A provider answered by an async `search(query, limit)` function (no gRPC in here: the
    MCP server passes a function that calls the KnowledgeService). Such functions take no
    offset, so a page is cut from the first offset + limit + 1 hits."""

    def __init__(self, name: str, search: SearchFunction | None, *,
                 available: AvailabilityCheck | None = None) -> None:
        self.name = name
        self._search = search
        self._available = available

    async def is_available(self) -> bool:
        if self._search is None:
            self.unavailable_reason = "not configured"
            return False
        if self._available is not None and not await self._available():
            self.unavailable_reason = "its availability check says unavailable"
            return False
        return True

    async def search(self, query: str, mode: str | None, limit: int,
                     offset: int) -> ProviderResult:
        if self._search is None:
            raise Unavailable(f"search provider {self.name} is not configured")
        if offset + limit > MAX_FETCH:
            raise ValueError(f"cannot page past {MAX_FETCH} hits")
        wanted = offset + limit + 1  # one more tells whether another page exists
        rows = await self._search(query, wanted)
        hits = [hit for hit in map(hit_from_row, rows) if hit is not None]
        page = hits[offset:offset + limit]
        more = len(hits) > offset + limit
        return ProviderResult(page, total=None if len(rows) >= wanted else len(hits),
                              truncated=more, next_offset=offset + len(page) if more else None)


class KnowledgeSearchProvider(CallbackProvider):
    """The KnowledgeService's search (code and docs the ingestor indexed)."""

    def __init__(self, search: SearchFunction, *, available: AvailabilityCheck | None = None,
                 name: str = "knowledge") -> None:
        super().__init__(name, search, available=available)


class LlmSearchProvider(CallbackProvider):
    """An LLM asked to find docs (services.mcp_bridge.llm_docs): slow and costly, so last,
    and unavailable unless given. `blocked` is asked right before each search (the LLM lock):
    a reason there skips the provider at once, it never waits."""

    def __init__(self, search: SearchFunction | None = None, *,
                 available: AvailabilityCheck | None = None,
                 blocked: BlockedCheck | None = None, timeout: float | None = None,
                 closer: Callable[[], Awaitable[None]] | None = None,
                 name: str = "llm") -> None:
        super().__init__(name, search, available=available)
        self._blocked = blocked
        self._closer = closer
        self.timeout = timeout

    async def is_available(self) -> bool:
        if not await super().is_available():
            return False
        reason = await self._blocked() if self._blocked is not None else ""
        if reason:
            self.unavailable_reason = reason
            return False
        return True

    async def close(self) -> None:
        if self._closer is not None:
            await self._closer()


def hit_from_row(row: Mapping[str, Any]) -> DocHit | None:
    """A provider's hit dict as a DocHit (None without a path). The snippet is cut to the
    local index's length, so no provider can blow the result budget with one hit."""
    path = row.get("path")
    if not isinstance(path, str) or not path:
        return None
    text = " ".join(str(row.get("snippet") or row.get("text") or "").split())
    snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS] + "…"
    line = row.get("line") or row.get("start_line") or 0
    return DocHit(path=path, score=float(row.get("score") or 0.0), line=int(line),
                  snippet=snippet)


class SearchManager:
    """Tries the providers in order; see the module docstring for the rules."""

    def __init__(self, providers: Iterable[SearchProvider] = (), *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._providers: list[SearchProvider] = list(providers)
        self.timeout = timeout

    @property
    def providers(self) -> Sequence[SearchProvider]:
        return tuple(self._providers)

    def add_provider(self, provider: SearchProvider) -> None:
        """Append a provider to the end of the chain (ADR 008's API)."""
        self._providers.append(provider)

    async def close(self) -> None:
        for provider in self._providers:
            await provider.close()

    async def search(self, query: str, mode: str | None = None, limit: int = DEFAULT_LIMIT,
                     offset: int = 0) -> ManagerResult:
        parse_query(query, mode)  # a malformed request is the caller's error, not a failure
        limit, offset = page_bounds(limit, offset)
        skipped: list[tuple[str, str]] = []
        first_empty: tuple[str, ProviderResult] | None = None
        for provider in self._providers:
            answer, reason = await self._ask(provider, query, mode, limit, offset)
            if answer is None:
                log.warning("search provider %s skipped: %s", provider.name, reason)
                skipped.append((provider.name, reason))
                continue
            if answer.hits or (offset > 0 and answer.total != 0):
                return _result(provider.name, answer, skipped, offset)
            log.info("search provider %s found nothing; asking the next one", provider.name)
            skipped.append((provider.name, NO_HITS))
            first_empty = first_empty or (provider.name, answer)
        if first_empty is None:
            raise NoProviderAnswered(skipped)
        name, answer = first_empty
        skipped.remove((name, NO_HITS))
        return _result(name, answer, skipped, offset)

    async def _ask(self, provider: SearchProvider, query: str, mode: str | None, limit: int,
                   offset: int) -> tuple[ProviderResult | None, str]:
        """(the provider's answer, "") or (None, why it gave none)."""
        timeout = provider.timeout or self.timeout
        try:
            async with asyncio.timeout(timeout):
                if not await provider.is_available():
                    return None, f"unavailable: {provider.unavailable_reason}"
                return await provider.search(query, mode, limit, offset), ""
        except TimeoutError:
            return None, f"timed out after {timeout:g} s"
        except Exception as exc:  # any failure of one provider is the next one's turn
            log.debug("search provider %s failed", provider.name, exc_info=True)
            return None, f"failed: {type(exc).__name__}: {exc}"


def _result(name: str, answer: ProviderResult, skipped: list[tuple[str, str]],
            offset: int) -> ManagerResult:
    # The last guard on the result size, whichever provider answered.
    fits = fitting_hits(answer.hits)
    if fits < len(answer.hits):
        return ManagerResult(name, answer.hits[:fits], skipped, True, offset + fits, answer.total)
    return ManagerResult(name, answer.hits, skipped, answer.truncated, answer.next_offset,
                         answer.total)
