"""The docs search chain search_docs answers from: the local docs index, then the
KnowledgeService's search, then the LLM (services.mcp_bridge.llm_docs) when OPENAI_API_BASE is
set, behind the server's LLM lock; without it the LLM is listed as unavailable, "not
configured"."""

from __future__ import annotations

from typing import Any

from clients import KnowportRpcError
from services.config import Settings
from services.domain.errors import Unavailable
from services.inference.llm import make_client
from services.mcp_bridge.bridge import Bridge
from services.mcp_bridge.llm_docs import LlmDocsSearch
from services.mcp_bridge.providers import (
    DEFAULT_TIMEOUT_SECONDS,
    KnowledgeSearchProvider,
    LlmSearchProvider,
    LocalIndexProvider,
    SearchManager,
)
from services.mcp_bridge.tool_errors import describe

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


def llm_lock_check(bridge: Bridge):
    """A check returning "" while the server's LLM lock is free, else why the LLM must not be
    asked now. One GetLlmLock with the bridge's deadline; it never waits for the lock."""

    async def check() -> str:
        try:
            lock = (await bridge.client.llm_lock_state()).lock
        except KnowportRpcError as err:  # unknown is not free: the LLM stays unasked
            return "cannot check the LLM lock: " + describe(err, address=bridge.address,
                                                           deadline=bridge.deadline)
        return f"LLM locked by {lock.holder or 'someone'}" if lock.locked else ""

    return check


def llm_provider(bridge: Bridge, settings: Settings) -> LlmSearchProvider:
    """The LLM provider: unavailable ("not configured") without OPENAI_API_BASE."""
    llm, mcp = settings.llm, settings.mcp
    if not llm.openai_api_base:
        return LlmSearchProvider()
    timeout = min(llm.llm_timeout_seconds, mcp.mcp_llm_timeout_seconds)
    search = LlmDocsSearch(
        make_client(llm.openai_api_base, llm.openai_api_key.get_secret_value(),
                    timeout=timeout),
        llm.llm_model, bridge.docs, timeout=timeout, max_docs=mcp.mcp_llm_max_docs)
    # Room for the lock check and reading the docs' openings, past the request's own deadline.
    return LlmSearchProvider(search, blocked=llm_lock_check(bridge), closer=search.close,
                             timeout=timeout + bridge.deadline + DEFAULT_TIMEOUT_SECONDS)


def build_search_chain(bridge: Bridge, settings: Settings) -> SearchManager:
    return SearchManager(
        [LocalIndexProvider(bridge.docs), KnowledgeSearchProvider(knowledge_search(bridge)),
         llm_provider(bridge, settings)],
        timeout=max(DEFAULT_TIMEOUT_SECONDS, 2 * settings.mcp.mcp_deadline_seconds))
