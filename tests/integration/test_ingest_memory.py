"""The memory storage's share of a pathological file stays bounded (issue 11, item 7): it kept
~196 MB of one 10 MB single line of minified code (a second copy of every chunk's search terms,
a dict for each of ~600,000 BM25 postings). Measured with tracemalloc, which counts this
process's Python allocations exactly.

What the storage keeps grows with the file (per chunk, term and posting), so a 1.5 MB line shows
the same multiple as a 10 MB one at a seventh of the cost: ~8x now, ~24x with a dict of postings
and a tuple of terms per document put back."""

from __future__ import annotations

import gc
import tracemalloc

from services.domain.models import FileRecord
from services.domain.terms import code_terms
from services.ingestor.chunking import parse_to_chunks
from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_parse_memory import minified_js

MB = 1_000_000
SIZE = 1_500_000
# What the memory storage keeps of one such file (before: ~19x; now ~8x: its text, and the
# ~90,000 distinct terms of made-up identifiers, each in the BM25 index once).
MAX_STORED = 14 * SIZE


async def test_memory_storage_keeps_one_copy_of_a_long_one_line_file() -> None:
    text = minified_js(SIZE)
    storage = MemoryStorage()
    record = FileRecord(path="a.min.js", content_hash="h", size_bytes=SIZE, mtime_ns=1,
                        language="javascript")
    # The tokenizer's identifier cache is the process's (bounded at 65,536 entries), not the
    # storage's: filled first, so the measure does not depend on which tests ran before; it is
    # most of the growth of a small file measured first in a process.
    code_terms(record.path, "", text)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        await storage.replace_file("w", record, parse_to_chunks("a.min.js", text, "javascript"))
        gc.collect()  # only the storage's references to the chunks remain
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    hits = await storage.search_lexical("w", "f4242", 1)
    assert hits and "f4242(" in hits[0].chunk.text
    assert kept <= MAX_STORED, f"kept {kept / MB:.0f} MB ({kept / SIZE:.1f}x the file)"
