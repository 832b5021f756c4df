"""What an index holds, in a form two indexes can be compared by: ingests that were killed,
interrupted or rerun must end with exactly what one clean run builds."""

from __future__ import annotations

from services.storage.port import Storage


async def index_state(storage: Storage, workspace_id: str) -> dict[str, tuple]:
    """Per indexed path: its content hash and summary, every chunk stored for it (id,
    symbol, span, description, purpose, embedding) in stored order, and its complete layers.

    A lost chunk, a duplicated one or one left over from an earlier version all show up as a
    difference; a file marked indexed without its chunks fails outright.
    """
    state = {}
    for record in await storage.list_files(workspace_id):
        chunks = await storage.get_chunks(workspace_id, record.path)
        assert chunks, f"{record.path} is marked indexed without its chunks"
        state[record.path] = (record.content_hash, record.summary, [
            (c.id, c.symbol, c.kind, c.start_line, c.end_line, c.description, c.purpose,
             c.embedding) for c in chunks], sorted(record.layers))
    return state
