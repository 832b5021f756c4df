"""Index stats (`Files`) and the `ModelCaches` role."""

from __future__ import annotations

import pytest

from services.domain.errors import InvalidArgument
from services.domain.models import (
    Enrichment,
    StorageStats,
)
from tests.integration.storage_contract.builders import (
    OTHER_WS,
    WS,
    float32,
    put_file,
)


async def test_stats_count_one_workspace(storage):
    assert await storage.stats(WS) == StorageStats(0, 0, 0, 0, 0, {})
    await put_file(storage, "a.py", "x = 1", "y = 2", description="sets x")
    await put_file(storage, "b.py", "z = 3", embedding=(1.0, 2.0))
    await put_file(storage, "c.md", "# Title", language="markdown", kind="section",
                   purpose="explains")
    await put_file(storage, "o.py", "q = 1", workspace=OTHER_WS)

    stats = await storage.stats(WS)
    files = await storage.list_files(WS)
    assert (stats.files, stats.chunks, stats.enriched_chunks, stats.embedded_chunks) == (
        3, 4, 3, 1)
    assert stats.total_bytes == sum(f.size_bytes for f in files) > 0
    # Plain ints on every backend (a driver's Decimal would break the protobuf conversion).
    assert all(type(v) is int for v in (stats.files, stats.chunks, stats.total_bytes))
    assert stats.languages == {"python": 2, "markdown": 1}
    empty = await storage.stats("empty")
    assert (empty.files, empty.chunks, empty.total_bytes, empty.languages) == (0, 0, 0, {})


async def test_enrichment_cache_is_keyed_by_hash_and_model(storage):
    first, second, third = (Enrichment(f"does {n}", f"for {n}") for n in ("one", "two", "3"))
    await storage.put_enrichments("m1", {"h1": first, "h2": second})
    await storage.put_enrichments("m2", {"h1": third})

    assert await storage.get_enrichments("m1", ["h1", "h2", "h3"]) == {"h1": first, "h2": second}
    assert await storage.get_enrichments("m2", ["h1", "h2"]) == {"h1": third}
    await storage.put_enrichments("m1", {"h1": third})
    assert await storage.get_enrichments("m1", ["h1"]) == {"h1": third}
    assert await storage.get_enrichments("m1", []) == {}


async def test_embedding_cache_is_keyed_by_hash_and_model(storage):
    await storage.put_embeddings("m1", {"h1": [0.1, 0.2, 0.3], "h2": (1.0, -1.0)})
    await storage.put_embeddings("m2", {"h1": [0.5] * 4})

    assert await storage.get_embeddings("m1", ["h1", "h2", "h3"]) == {
        "h1": float32((0.1, 0.2, 0.3)), "h2": (1.0, -1.0)}
    assert await storage.get_embeddings("m2", ["h1", "h2"]) == {"h1": (0.5,) * 4}
    await storage.put_embeddings("m1", {"h1": [9.0]})
    assert await storage.get_embeddings("m1", ["h1"]) == {"h1": (9.0,)}
    with pytest.raises(InvalidArgument):
        await storage.put_embeddings("m1", {"h9": []})
