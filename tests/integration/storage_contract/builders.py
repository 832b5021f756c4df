"""Records and chunks as the contract tests store them."""

from __future__ import annotations

from array import array
from datetime import datetime

from services.domain.models import (
    Chunk,
    FileRecord,
    chunk_id,
    content_hash,
)
from services.storage.port import Storage

WS = "ws-main"
OTHER_WS = "ws-other"



def make_chunk(path: str, start: int, text: str, *, end: int | None = None,
               language: str = "python", kind: str = "function", symbol: str = "",
               description: str = "", purpose: str = "",
               embedding: tuple[float, ...] | None = None) -> Chunk:
    end = start + text.count("\n") if end is None else end
    digest = content_hash(text)
    return Chunk(id=chunk_id(path, digest, start, end), path=path, start_line=start,
                 end_line=end, symbol=symbol, kind=kind, language=language, text=text,
                 content_hash=digest, description=description, purpose=purpose,
                 embedding=embedding)


def make_file(path: str, chunks: list[Chunk], *, language: str = "python",
              size: int | None = None, summary: str = "",
              indexed_at: datetime | None = None) -> FileRecord:
    body = "\n".join(c.text for c in chunks)
    return FileRecord(path=path, content_hash=content_hash(body),
                      size_bytes=len(body) if size is None else size, mtime_ns=1_700_000_000_123,
                      language=language, summary=summary, indexed_at=indexed_at)


async def put_file(storage: Storage, path: str, *texts: str, workspace: str = WS,
                   **chunk_fields) -> list[Chunk]:
    chunks = [make_chunk(path, 1 + 10 * i, text, **chunk_fields) for i, text in enumerate(texts)]
    language = chunk_fields.get("language", "python")
    await storage.replace_file(workspace, make_file(path, chunks, language=language), chunks)
    return chunks


def float32(values: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(array("f", values))


def ids(hits) -> list[str]:
    return [h.chunk.id for h in hits]
