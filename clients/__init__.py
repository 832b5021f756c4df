"""Python clients for Knowledge Port over its generated gRPC stubs.

    from clients import KnowportClient
    with KnowportClient("127.0.0.1:50051") as kp:
        hits = kp.search("where are leases renewed").hits
        with kp.llm_lock("agent-7", ttl_seconds=60):
            ...  # the indexer makes no LLM requests while this block runs

`AsyncKnowportClient` is the same for asyncio (`async with`, `await`). For a TLS server pass
`credentials=tls("ca.crt")` (add `cert_file=` and `key_file=` for mutual TLS).

Enum arguments take names (`kinds=["function"]`, `mode="lexical"`); results read enum fields
as named members (`hit.kind` prints `function`). A server that cannot be reached raises
KnowportRpcError with `unreachable` set and a one-line message.
"""

from clients.aio import AsyncKnowportClient
from clients.channel import tls
from clients.enums import (
    FileRole,
    IngestJobState,
    IngestMode,
    SearchMode,
    ServingStatus,
    SymbolKind,
)
from clients.errors import KnowportRpcError, LockBusy
from clients.results import Result, proto_message
from clients.sync import KnowportClient

__all__ = ["AsyncKnowportClient", "FileRole", "IngestJobState", "IngestMode", "KnowportClient",
           "KnowportRpcError", "LockBusy", "Result", "SearchMode", "ServingStatus", "SymbolKind",
           "proto_message", "tls"]
