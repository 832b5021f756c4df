"""A byte budget for the file text in flight through the ingestion pipeline.

The stages are joined by bounded queues, but a bound on the number of files is no bound on
memory: a few 10 MB one-line files read at once, each held as text and then as chunks (text,
search terms, ids) until it is persisted, took the ingest process past 350 MB. Files enter the
pipeline only while the bytes of the files already in it, up to their persistence, stay within
the budget; a file larger than the whole budget waits until it can go alone. Ordinary source
files are far smaller than the budget, so they still flow many at a time.
"""

from __future__ import annotations

import asyncio

TEXT_IN_FLIGHT_BYTES = 8_000_000


class TextBudget:
    """Bytes held by files between entering the pipeline and leaving it. One event loop; one
    taker (the pipeline's feeder), any number of givers."""

    def __init__(self, limit: int = TEXT_IN_FLIGHT_BYTES) -> None:
        self.limit = limit
        self.used = 0
        self._freed = asyncio.Event()

    async def take(self, size: int) -> int:
        """Wait until `size` more bytes fit (or nothing else is held), hold them, return them."""
        while self.used and self.used + size > self.limit:
            self._freed.clear()
            await self._freed.wait()
        self.used += size
        return size

    def give_back(self, size: int) -> None:
        self.used -= size
        self._freed.set()
