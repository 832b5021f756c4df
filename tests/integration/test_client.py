"""The Python clients against a real server: typed results, errors with code and reason,
UNAVAILABLE retried, and the LLM lock held, renewed and released by a context manager; enums
given and shown by name, and one line for a server that is not there."""

from __future__ import annotations

import asyncio
import socket

import grpc
import pytest
from google.protobuf import json_format

from clients import (
    AsyncKnowportClient,
    KnowportClient,
    KnowportRpcError,
    LockBusy,
    SearchMode,
    SymbolKind,
    proto_message,
)
from services.storage.memory.adapter import MemoryStorage
from tests.support.grpc_server import running_server
from tests.support.watchdog import within


@pytest.fixture
async def server(tmp_path):
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    async with running_server(MemoryStorage(), tmp_path,
                              LLM_LOCK_MIN_TTL_SECONDS="1") as handle:
        yield handle


async def test_async_client_calls_and_errors(server):
    async with AsyncKnowportClient(server.address) as client:
        stats = await client.stats()
        assert stats.workspace == server.workspace.id
        started = await client.start_ingest()
        final = [u.job async for u in client.watch_ingest(started.job.job_id)][-1]
        assert final.progress.files_persisted == 1
        with pytest.raises(KnowportRpcError) as info:
            await client.stats(workspace="nope")
        err = info.value
        assert (err.code, err.reason, err.metadata["workspace"]) == (
            grpc.StatusCode.NOT_FOUND, "WORKSPACE_NOT_FOUND", "nope")


async def test_async_lock_is_renewed_while_held_and_released_on_error(server):
    async def hold_renew_fail_release() -> None:
        async with AsyncKnowportClient(server.address) as client:
            with pytest.raises(RuntimeError):
                async with client.llm_lock("agent-x", ttl_seconds=1) as taken:
                    await asyncio.sleep(2.0)  # twice the TTL: alive only because it is renewed
                    state = (await client.llm_lock_state()).lock
                    assert state.locked and state.fencing_token == taken.lock.fencing_token
                    raise RuntimeError("the block fails")
            assert not (await client.llm_lock_state()).lock.locked

    # This once hung past pytest's timeout in CI; bounded, it shows where each task waited.
    await within(60, hold_renew_fail_release(), "hold, renew, fail and release")


async def test_sync_client_lock_busy_and_release(server):
    # Blocking calls from a thread, while the test's event loop runs the server.
    def work() -> None:
        with KnowportClient(server.address) as client, client.llm_lock("agent-a", 30):
            with pytest.raises(LockBusy, match="agent-a"), client.llm_lock("agent-b", 30):
                pass
            assert client.llm_lock_state().lock.holder == "agent-a"
        with KnowportClient(server.address) as client:
            assert not client.llm_lock_state().lock.locked

    await asyncio.to_thread(work)


def closed_address() -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_unavailable_is_retried_then_reported():
    address = closed_address()
    with KnowportClient(address, timeout=3) as client, \
            pytest.raises(KnowportRpcError) as info:
        client.stats()  # retried, then bounded by the deadline: pytest's timeout catches a hang
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
    assert info.value.unreachable
    assert str(info.value) == f"no server reachable at {address}: connection refused"


async def test_async_client_says_in_one_line_that_no_server_is_there():
    address = closed_address()
    async with AsyncKnowportClient(address, timeout=3) as client:
        with pytest.raises(KnowportRpcError) as info:
            await client.search("alpha")
    assert info.value.unreachable and info.value.code == grpc.StatusCode.UNAVAILABLE
    assert str(info.value) == f"no server reachable at {address}: connection refused"


def test_a_server_error_is_not_taken_for_an_unreachable_server():
    err = KnowportRpcError(grpc.StatusCode.UNAVAILABLE, "storage is unreachable\n(retry)",
                           "STORAGE_UNAVAILABLE", address="127.0.0.1:1")
    assert not err.unreachable and str(err) == "UNAVAILABLE: storage is unreachable (retry)"


async def indexed(client: AsyncKnowportClient) -> None:
    started = await client.start_ingest()
    final = [u.job async for u in client.watch_ingest(started.job.job_id)][-1]
    assert final.progress.files_persisted == 1


@pytest.mark.parametrize("kind", ["function", "FUNCTION", "SYMBOL_KIND_FUNCTION",
                                  SymbolKind.FUNCTION, 1],
                         ids=["short", "upper", "full", "member", "number"])
async def test_enum_arguments_by_name_in_any_case(server, kind):
    async with AsyncKnowportClient(server.address) as client:
        await indexed(client)
        found = await client.search("alpha", mode="LEXICAL", kinds=[kind])
        alone = await client.search("alpha", mode="lexical", kinds=kind)
        other = await client.search("alpha", mode="SEARCH_MODE_LEXICAL", kinds=["class"])
    assert [h.symbol for h in found.hits] == [h.symbol for h in alone.hits] == ["alpha"]
    assert found.effective_mode == SearchMode.LEXICAL
    assert not other.hits  # the kind filter reached the server: no class is called alpha


@pytest.mark.parametrize(("arguments", "message"), [
    ({"kinds": ["fnction"]}, "unknown kind 'fnction'; valid: function, method, class, "),
    ({"mode": "fast"}, "unknown mode 'fast'; valid: lexical, semantic, hybrid"),
    ({"kinds": ["unspecified"]}, "unknown kind 'unspecified'; valid: function, "),
])
def test_an_unknown_enum_name_is_a_value_error_listing_the_valid_ones(arguments, message):
    with KnowportClient(closed_address()) as client, pytest.raises(ValueError) as info:
        client.search("alpha", **arguments)
    assert str(info.value).startswith(message)


async def test_results_show_enums_by_name(server):
    def search() -> object:
        with KnowportClient(server.address) as client:
            return client.search("alpha", mode="lexical")

    async with AsyncKnowportClient(server.address) as client:
        await indexed(client)
        health = await client.health()
    answer = await asyncio.to_thread(search)
    hit = answer.hits[0]
    assert str(hit.kind) == "function" and hit.kind == SymbolKind.FUNCTION
    assert f"{answer.effective_mode}" == "lexical" and str(health.status) == "serving"
    assert repr(hit).startswith("SearchHit(") and "kind=function" in repr(hit)
    assert "symbol='alpha'" in str(hit) and "effective_mode=lexical" in str(answer)
    # Still the message underneath: what the CLI's --json prints is unchanged.
    assert json_format.MessageToJson(answer) == json_format.MessageToJson(proto_message(answer))
    assert '"kind": "SYMBOL_KIND_FUNCTION"' in json_format.MessageToJson(answer)
