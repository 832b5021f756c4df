"""A parser that dies (a grammar is native code) takes down a worker process, never the
caller; the pool is replaced and the next parse works."""

from __future__ import annotations

import os

import pytest

from services.ingestor.parse_pool import ParsePool, ParserCrashed
from services.ingestor.pipeline import parse_to_chunks


async def test_a_crashing_worker_is_reported_and_the_pool_recovers():
    pool = ParsePool(2)
    with pytest.raises(ParserCrashed, match="crashed"):
        await pool.run(os._exit, 3)  # the worker dies as a segfaulting grammar would
    chunks = await pool.run(parse_to_chunks, "a.py", "def f():\n    return 1\n", "python")
    assert [(c.symbol, c.kind) for c in chunks] == [("f", "function")]
    assert chunks[0].terms  # search terms are computed in the worker
