"""The Python clients against a real server: typed results, errors with code and reason,
UNAVAILABLE retried, and the LLM lock held, renewed and released by a context manager."""

from __future__ import annotations

import asyncio
import socket

import grpc
import pytest

from clients import AsyncKnowportClient, KnowportClient, KnowportRpcError, LockBusy
from services.storage.memory import MemoryStorage
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


def test_unavailable_is_retried_then_reported():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with KnowportClient(f"127.0.0.1:{port}", timeout=3) as client, \
            pytest.raises(KnowportRpcError) as info:
        client.stats()  # retried, then bounded by the deadline: pytest's timeout catches a hang
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
