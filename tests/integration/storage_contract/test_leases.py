"""The `Leases` role."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from services.domain.errors import InvalidArgument


async def test_lease_contention_renew_and_release_only_by_the_live_lease(storage):
    assert await storage.current_lease() is None
    lease, taken = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert taken and (lease.holder, lease.lease_id) == ("agent-a", "L1")
    assert lease.fencing_token > 0
    assert abs(lease.expires_at - (datetime.now(UTC) + timedelta(seconds=30))) < timedelta(
        seconds=5)

    other, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert not taken and (other.lease_id, other.fencing_token) == ("L1", lease.fencing_token)
    retry, taken = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert taken and retry.fencing_token == lease.fencing_token

    assert await storage.renew_lease("L2", timedelta(seconds=60)) is None
    renewed = await storage.renew_lease("L1", timedelta(seconds=60))
    assert renewed.fencing_token == lease.fencing_token
    assert renewed.expires_at > lease.expires_at + timedelta(seconds=20)

    assert not await storage.release_lease("L2")
    assert (await storage.current_lease()).lease_id == "L1"
    assert await storage.release_lease("L1")
    assert await storage.current_lease() is None
    assert not await storage.release_lease("L1")
    assert await storage.renew_lease("L1", timedelta(seconds=60)) is None

    after, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert taken and after.fencing_token > lease.fencing_token


async def test_lease_arguments_are_checked(storage):
    with pytest.raises(InvalidArgument):
        await storage.acquire_lease("a", timedelta(0), "L1")
    with pytest.raises(InvalidArgument):
        await storage.acquire_lease("a", timedelta(seconds=5), "")
    assert await storage.current_lease() is None


async def test_expired_lease_is_taken_over_with_a_bigger_token(storage, backend):
    first, _ = await storage.acquire_lease("agent-a", timedelta(seconds=1), "L1")
    await backend.pass_time(1.2)

    assert await storage.current_lease() is None
    assert await storage.renew_lease("L1", timedelta(seconds=30)) is None
    assert not await storage.release_lease("L1")
    second, taken = await storage.acquire_lease("agent-b", timedelta(seconds=30), "L2")
    assert taken and second.fencing_token > first.fencing_token
    assert (await storage.current_lease()).holder == "agent-b"


async def test_one_winner_among_concurrent_acquirers_on_separate_connections(storage, backend):
    second = backend.new()
    await second.open()
    try:
        results = await asyncio.gather(*(
            store.acquire_lease(f"agent-{i}", timedelta(seconds=30), f"L{i}")
            for i, store in enumerate([storage, second] * 5)))
    finally:
        if second is not storage:
            await second.close()
    winners = [lease for lease, taken in results if taken]
    assert len(winners) == 1
    assert {lease.lease_id for lease, _ in results} == {winners[0].lease_id}


async def test_fencing_tokens_grow_across_reopen(storage, backend):
    first, _ = await storage.acquire_lease("agent-a", timedelta(seconds=30), "L1")
    assert await storage.release_lease("L1")
    await storage.close()

    reopened = backend.new()
    await reopened.open()
    try:
        second, taken = await reopened.acquire_lease("agent-a", timedelta(seconds=30), "L2")
    finally:
        await reopened.close()
    assert taken and second.fencing_token > first.fencing_token


async def test_last_lease_remembers_a_released_or_expired_lease(storage, backend):
    assert await storage.last_lease() is None
    lease, _ = await storage.acquire_lease("agent", timedelta(seconds=30), "L1")
    assert (await storage.last_lease()).lease_id == "L1"
    assert await storage.release_lease("L1")
    last = await storage.last_lease()
    assert (last.lease_id, last.holder, last.fencing_token) == ("L1", "agent",
                                                                lease.fencing_token)
    assert last.expires_at < datetime.now(UTC)
    assert await storage.current_lease() is None
    assert not await storage.release_lease("L1")  # not live any more


async def test_lease_changes_wake_a_listener_on_every_change(storage):
    changes = storage.lease_changes()
    woken = asyncio.Event()

    async def listen() -> None:
        async for _ in changes:
            woken.set()

    listener = asyncio.create_task(listen())
    try:
        # The listener subscribes in the background (PostgreSQL: a connection and LISTEN), so
        # renew a lease of its own until a renewal wakes it; then it hears every change.
        await storage.acquire_lease("primer", timedelta(seconds=30), "P")
        async with asyncio.timeout(30):
            while not woken.is_set():
                await storage.renew_lease("P", timedelta(seconds=30))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=1)
        woken.clear()
        await storage.release_lease("P")
        await asyncio.wait_for(woken.wait(), timeout=5)
        for change in (lambda: storage.acquire_lease("a", timedelta(seconds=30), "L1"),
                       lambda: storage.renew_lease("L1", timedelta(seconds=30)),
                       lambda: storage.release_lease("L1")):
            woken.clear()
            await change()
            await asyncio.wait_for(woken.wait(), timeout=5)
        woken.clear()
        await storage.current_lease()  # reading changes nothing and wakes nobody
        # An absence cannot be awaited: give a wrong wake-up a moment to arrive. A slow
        # machine can only make this check weaker, never make it fail.
        await asyncio.sleep(0.3)
        assert not woken.is_set()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
