"""The `ChunkLayers` role: later layers upgrade a stored file's chunks in place, per file, and
never over a newer version of the file."""

from __future__ import annotations

import asyncio
import dataclasses

from services.domain.models import Enrichment, Layer
from services.domain.terms import search_terms
from tests.integration.storage_contract.builders import (
    WS,
    float32,
    ids,
    make_chunk,
    make_file,
)

STRUCTURE = frozenset({Layer.STRUCTURE.value})


async def store(storage, path: str, *texts: str, layers=STRUCTURE):
    chunks = [make_chunk(path, 1 + 10 * i, text) for i, text in enumerate(texts)]
    record = dataclasses.replace(make_file(path, chunks), layers=layers)
    await storage.replace_file(WS, record, chunks)
    return record, chunks


async def test_the_record_keeps_the_layers_it_was_stored_with(storage):
    record, _ = await store(storage, "a.py", "x = 1",
                            layers=frozenset({"structure", "vectors"}))
    assert (await storage.get_file(WS, "a.py")).layers == {"structure", "vectors"}
    assert (await storage.list_files(WS))[0].layers == record.layers


async def test_embeddings_upgrade_chunks_in_place_and_mark_the_layer(storage):
    record, (one, two) = await store(storage, "a.py", "def alpha(): pass", "def beta(): pass")
    assert await storage.vector_coverage(WS) == (0, 2)
    stored = await storage.set_embeddings(WS, "a.py", record.content_hash,
                                          {one.id: (0.1, 0.2, 0.3), two.id: (0.3, 0.2, 0.1),
                                           "not-a-chunk": (1.0, 1.0, 1.0)})
    assert stored
    chunks = await storage.get_chunks(WS, "a.py")
    assert [c.embedding for c in chunks] == [float32((0.1, 0.2, 0.3)), float32((0.3, 0.2, 0.1))]
    assert [dataclasses.replace(c, embedding=None) for c in chunks] == [one, two]
    upgraded = await storage.get_file(WS, "a.py")
    assert upgraded.layers == {"structure", "vectors"}
    assert dataclasses.replace(upgraded, layers=STRUCTURE) == dataclasses.replace(
        record, indexed_at=upgraded.indexed_at)
    assert ids(await storage.search_semantic(WS, (0.1, 0.2, 0.3), 5)) == [one.id, two.id]
    assert ids(await storage.search_lexical(WS, "alpha", 5)) == [one.id]
    assert await storage.vector_coverage(WS) == (2, 2)
    stats = await storage.stats(WS)
    assert (stats.embedded_chunks, stats.layers) == (2, {"structure": 1, "vectors": 1})


async def test_a_partly_embedded_index_reports_its_coverage(storage):
    first, (chunk,) = await store(storage, "a.py", "def alpha(): pass")
    await store(storage, "b.py", "def beta(): pass", "def gamma(): pass")
    await storage.set_embeddings(WS, "a.py", first.content_hash, {chunk.id: (1.0, 0.0)})
    assert await storage.vector_coverage(WS) == (1, 3)
    assert await storage.vector_coverage("no-such-workspace") == (0, 0)


async def test_an_upgrade_of_a_version_that_was_replaced_is_refused(storage):
    old, (chunk,) = await store(storage, "a.py", "def alpha(): pass")
    new, (fresh,) = await store(storage, "a.py", "def alpha(): return 2")
    assert not await storage.set_embeddings(WS, "a.py", old.content_hash, {chunk.id: (1.0, 0.0),
                                                                            fresh.id: (1.0, 0.0)})
    assert not await storage.set_descriptions(WS, "a.py", old.content_hash, "stale",
                                              {fresh.id: Enrichment("stale", "stale")}, {})
    assert await storage.get_chunks(WS, "a.py") == [fresh]
    assert await storage.get_file(WS, "a.py") == dataclasses.replace(
        new, indexed_at=(await storage.get_file(WS, "a.py")).indexed_at)
    assert not await storage.set_embeddings(WS, "gone.py", old.content_hash, {})


async def test_descriptions_upgrade_text_search_vectors_and_summary_at_once(storage):
    record, (one, two) = await store(storage, "a.py", "def alpha(): pass", "def beta(): pass")
    await storage.set_embeddings(WS, "a.py", record.content_hash,
                                 {one.id: (1.0, 0.0), two.id: (0.0, 1.0)})
    assert await storage.search_lexical(WS, "tokenizer", 5) == []
    stored = await storage.set_descriptions(
        WS, "a.py", record.content_hash, "Two tiny functions.",
        {one.id: Enrichment("Splits words for the tokenizer.", "Feeds the index.")},
        {one.id: (0.6, 0.8)})
    assert stored
    chunks = await storage.get_chunks(WS, "a.py")
    assert [(c.description, c.purpose) for c in chunks] == [
        ("Splits words for the tokenizer.", "Feeds the index."), ("", "")]
    assert [c.embedding for c in chunks] == [float32((0.6, 0.8)), float32((0.0, 1.0))]
    upgraded = await storage.get_file(WS, "a.py")
    assert upgraded.summary == "Two tiny functions."
    assert upgraded.layers == {"structure", "vectors", "descriptions"}
    # The description's words are searchable, and counted as the chunk's words by BM25.
    assert ids(await storage.search_lexical(WS, "tokenizer", 5)) == [one.id]
    assert search_terms("tokenizer")
    stats = await storage.stats(WS)
    assert stats.enriched_chunks == 1
    assert stats.layers == {"structure": 1, "vectors": 1, "descriptions": 1}


async def test_descriptions_without_vectors_leave_the_vectors_layer_missing(storage):
    record, (one,) = await store(storage, "a.py", "def alpha(): pass")
    assert await storage.set_descriptions(WS, "a.py", record.content_hash, "One function.",
                                          {one.id: Enrichment("Does alpha.", "Demo.")}, {})
    assert (await storage.get_file(WS, "a.py")).layers == {"structure", "descriptions"}
    assert (await storage.get_chunks(WS, "a.py"))[0].embedding is None


async def test_a_redescribed_chunk_is_found_by_its_new_words_only(storage):
    record, (one,) = await store(storage, "a.py", "def alpha(): pass")
    for words in ("Parses the manifest.", "Renders the banner."):
        await storage.set_descriptions(WS, "a.py", record.content_hash, "",
                                       {one.id: Enrichment(words, "")}, {})
    assert ids(await storage.search_lexical(WS, "banner", 5)) == [one.id]
    assert await storage.search_lexical(WS, "manifest", 5) == []


async def test_concurrent_upgrades_of_one_file_both_land(storage):
    record, (one, two) = await store(storage, "a.py", "def alpha(): pass", "def beta(): pass")
    await asyncio.gather(
        storage.set_embeddings(WS, "a.py", record.content_hash, {one.id: (1.0, 0.0)}),
        storage.set_descriptions(WS, "a.py", record.content_hash, "s",
                                 {two.id: Enrichment("Does beta.", "")}, {}))
    chunks = await storage.get_chunks(WS, "a.py")
    assert chunks[0].embedding == float32((1.0, 0.0))
    assert chunks[1].description == "Does beta."
    assert (await storage.get_file(WS, "a.py")).layers == {"structure", "vectors",
                                                           "descriptions"}
