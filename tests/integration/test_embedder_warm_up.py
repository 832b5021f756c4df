"""The local embedding model's background load (issue 14, item 1): a load that fails does not
leave searches "warming up" for ever; they say why the query could not be embedded."""

from __future__ import annotations

import asyncio

import pytest

from services.domain.models import SearchFilters
from services.inference.embedder import EmbeddingFailed
from services.inference.st_embedder import LocalEmbedder
from services.knowledge.query_embedding import QueryEmbedder
from services.knowledge.search import WARMING_UP, Mode, Searcher, SearchQuery
from services.storage.memory.adapter import MemoryStorage


async def test_a_failed_background_load_ends_the_warm_up_and_is_reported():
    # A device torch does not know: the real loader fails, as with damaged model files.
    embedder = QueryEmbedder(LocalEmbedder(device="no-such-device"))
    assert not embedder.ready  # not loaded yet: searches would answer lexically
    embedder.warm_up()
    async with asyncio.timeout(120):  # hang guard: importing torch on a busy machine
        while not embedder.ready:  # noqa: ASYNC110 (a thread flips it)
            await asyncio.sleep(0.05)
    with pytest.raises(EmbeddingFailed, match="could not be loaded"):
        await embedder.embed("renew the lease")

    storage = MemoryStorage()
    await storage.open()
    try:
        page = await Searcher(storage, embedder).search(SearchQuery(
            workspace_id="ws", text="renew the lease", mode=Mode.HYBRID,
            filters=SearchFilters(), offset=0, page_size=5))
    finally:
        await storage.close()
    assert page.effective_mode is Mode.LEXICAL
    assert WARMING_UP not in page.notices
    assert any("could not be embedded" in n and "could not be loaded" in n
               for n in page.notices), page.notices
