"""The LLM lock over real gRPC: lease semantics, the seed's simple form, the watch stream,
fencing across a restart, and the clock that decides expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from knowport.v1 import lock_service_pb2 as pb
from services.storage.memory.adapter import MemoryStorage
from services.storage.postgres.adapter import PostgresStorage
from tests.support.grpc_server import running_server


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
async def server(request, tmp_path):
    if request.param == "memory":
        storage = MemoryStorage()
    else:
        storage = PostgresStorage(request.getfixturevalue("pg_dsn"))
    await storage.open()
    try:
        async with running_server(storage, tmp_path) as handle:
            yield handle
    finally:
        await storage.close()


async def failure(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


async def acquire(server, holder: str, ttl: int = 30) -> pb.AcquireLlmLockResponse:
    return await server.lock.AcquireLlmLock(pb.AcquireLlmLockRequest(holder=holder,
                                                                     ttl_seconds=ttl))


async def state(server) -> pb.LlmLock:
    return (await server.lock.GetLlmLock(pb.GetLlmLockRequest())).lock


async def test_acquire_contention_renew_release(server):
    assert not (await state(server)).locked
    first = await acquire(server, "agent-a", ttl=30)
    assert first.acquired and first.lease_id and first.lock.holder == "agent-a"
    expiry = first.lock.expire_time.ToDatetime(tzinfo=UTC)
    assert abs(expiry - (datetime.now(UTC) + timedelta(seconds=30))) < timedelta(seconds=3)
    assert 25_000 < first.lock.remaining_ms <= 30_000

    # Contention answers with the holder and its expiry, not an opaque error.
    second = await acquire(server, "agent-b")
    assert not second.acquired and not second.lease_id
    assert (second.lock.holder, second.lock.expire_time) == ("agent-a", first.lock.expire_time)

    renewed = await server.lock.RenewLlmLock(pb.RenewLlmLockRequest(lease_id=first.lease_id,
                                                                    ttl_seconds=60))
    assert renewed.lock.expire_time.ToDatetime() > first.lock.expire_time.ToDatetime()
    assert renewed.lock.fencing_token == first.lock.fencing_token

    released = await server.lock.ReleaseLlmLock(pb.ReleaseLlmLockRequest(
        lease_id=first.lease_id))
    assert not released.lock.locked
    assert released.lock.fencing_token == first.lock.fencing_token  # the last lease's token
    # Release is idempotent for the holder.
    again = await server.lock.ReleaseLlmLock(pb.ReleaseLlmLockRequest(lease_id=first.lease_id))
    assert not again.lock.locked

    third = await acquire(server, "agent-b")
    assert third.acquired and third.lock.fencing_token > first.lock.fencing_token


async def test_wrong_or_stale_leases_change_nothing(server):
    held = await acquire(server, "agent-a", ttl=30)
    for call in (server.lock.RenewLlmLock(pb.RenewLlmLockRequest(lease_id="not-a-lease")),
                 server.lock.ReleaseLlmLock(pb.ReleaseLlmLockRequest(lease_id="not-a-lease"))):
        err = await failure(call)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "not the live lease" in err.details() and "agent-a" in err.details()
    after = await state(server)
    assert (after.holder, after.fencing_token, after.expire_time) == (
        "agent-a", held.lock.fencing_token, held.lock.expire_time)


async def test_a_stale_holder_never_frees_a_newer_lease(server):
    old = await acquire(server, "agent-a", ttl=1)
    await asyncio.sleep(1.2)  # not renewed: gone by its expiry
    assert not (await state(server)).locked
    err = await failure(server.lock.RenewLlmLock(pb.RenewLlmLockRequest(lease_id=old.lease_id)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    new = await acquire(server, "agent-b")
    assert new.acquired and new.lock.fencing_token > old.lock.fencing_token
    err = await failure(server.lock.ReleaseLlmLock(pb.ReleaseLlmLockRequest(
        lease_id=old.lease_id)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (await state(server)).holder == "agent-b"


@pytest.mark.parametrize("ttl", [-1, 3601, 100_000])
async def test_ttl_outside_the_allowed_range_is_invalid(server, ttl):
    err = await failure(acquire(server, "agent", ttl=ttl))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "between 1 and 3600" in err.details()
    assert not (await state(server)).locked


async def test_zero_ttl_means_the_default_and_holder_is_required(server):
    taken = await acquire(server, "agent", ttl=0)
    assert 295_000 < taken.lock.remaining_ms <= 300_000
    err = await failure(acquire(server, ""))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_seed_simple_form_works_on_the_same_lease(server):
    locked = await server.lock.SetLlmLock(pb.SetLlmLockRequest(locked=True, ttl_seconds=60))
    assert locked.applied and locked.lock.holder == "agent" and locked.lock.locked
    renewed = await server.lock.SetLlmLock(pb.SetLlmLockRequest(locked=True, ttl_seconds=120))
    assert renewed.applied and renewed.lock.fencing_token == locked.lock.fencing_token
    assert renewed.lock.remaining_ms > 100_000
    # Someone else (full form) cannot take it; the simple unlock frees it.
    assert not (await acquire(server, "other")).acquired
    unlocked = await server.lock.SetLlmLock(pb.SetLlmLockRequest(locked=False))
    assert unlocked.applied and not unlocked.lock.locked
    # The simple unlock never frees another holder's lease.
    other = await acquire(server, "other")
    refused = await server.lock.SetLlmLock(pb.SetLlmLockRequest(locked=False))
    assert not refused.applied and refused.lock.holder == "other"
    busy = await server.lock.SetLlmLock(pb.SetLlmLockRequest(locked=True, ttl_seconds=10))
    assert not busy.applied and busy.lock.holder == "other"
    assert (await state(server)).fencing_token == other.lock.fencing_token


async def test_watch_pushes_every_change_and_the_expiry(server):
    stream = server.lock.WatchLlmLock(pb.WatchLlmLockRequest())
    assert not (await stream.read()).lock.locked
    held = await acquire(server, "agent-a", ttl=1)
    assert (await asyncio.wait_for(stream.read(), 3)).lock.holder == "agent-a"
    # Nobody calls anything: the expiry itself is pushed.
    expired = await asyncio.wait_for(stream.read(), 3)
    assert not expired.lock.locked and expired.lock.fencing_token == held.lock.fencing_token
    stream.cancel()


async def test_fencing_tokens_keep_growing_across_a_server_restart(pg_dsn, tmp_path):
    tokens = []
    for _ in range(2):
        storage = PostgresStorage(pg_dsn)
        await storage.open()
        try:
            async with running_server(storage, tmp_path) as server:
                taken = await acquire(server, "agent", ttl=1)
                assert taken.acquired
                tokens.append(taken.lock.fencing_token)
                await server.lock.ReleaseLlmLock(pb.ReleaseLlmLockRequest(
                    lease_id=taken.lease_id))
        finally:
            await storage.close()
    assert tokens[1] > tokens[0]


async def test_a_wall_clock_jump_does_not_move_an_expiry():
    monotonic = [1000.0]
    wall = [datetime(2026, 11, 21, 12, 0, tzinfo=UTC)]
    storage = MemoryStorage(clock=lambda: monotonic[0], wall_clock=lambda: wall[0])
    lease, taken = await storage.acquire_lease("agent", timedelta(seconds=10), "L1")
    assert taken and lease.expires_at == datetime(2026, 11, 21, 12, 0, 10, tzinfo=UTC)
    for jump in (timedelta(hours=2), timedelta(hours=-5)):
        wall[0] += jump
        assert (await storage.current_lease()).lease_id == "L1"  # still held
    monotonic[0] += 9.9
    assert await storage.current_lease() is not None
    monotonic[0] += 0.2
    assert await storage.current_lease() is None  # exactly when its TTL ran out
