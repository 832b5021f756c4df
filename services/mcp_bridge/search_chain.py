"""The docs search chain search_docs answers from: the local docs index, then the
KnowledgeService's search, then an LLM provider (not configured in this build: it is listed
as unavailable, and the chain ends before it)."""

from __future__ import annotations

from typing import Any

from clients import KnowportRpcError
from services.config import Settings
from services.domain.errors import Unavailable
from services.mcp_bridge.bridge import Bridge
from services.mcp_bridge.errors import describe
from services.mcp_bridge.providers import (
    DEFAULT_TIMEOUT_SECONDS,
    KnowledgeSearchProvider,
    LlmSearchProvider,
    LocalIndexProvider,
    SearchManager,
)

_SERVER_PAGE = 50  # the KnowledgeService's largest page


def knowledge_search(bridge: Bridge):
    """search(query, limit) over the KnowledgeService, paging it until `limit` hits."""

    async def search(query: str, limit: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        token = ""
        while len(rows) < limit:
            try:
                page = await bridge.client.search(query, page_size=min(_SERVER_PAGE, limit),
                                                  page_token=token)
            except KnowportRpcError as err:  # the chain logs it and asks the next provider
                raise Unavailable(describe(err, address=bridge.address,
                                           deadline=bridge.deadline)) from None
            rows += [{"path": h.path, "start_line": h.start_line, "score": h.score,
                      "snippet": h.snippet} for h in page.hits]
            token = page.next_page_token
            if not token:
                break
        return rows[:limit]

    return search


def build_search_chain(bridge: Bridge, settings: Settings) -> SearchManager:
    return SearchManager(
        [LocalIndexProvider(bridge.docs), KnowledgeSearchProvider(knowledge_search(bridge)),
         LlmSearchProvider()],
        timeout=max(DEFAULT_TIMEOUT_SECONDS, 2 * settings.mcp.mcp_deadline_seconds))
