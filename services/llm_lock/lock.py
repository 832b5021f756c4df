"""The LLM lock: a lease held in storage, with a TTL, a fencing token and change wake-ups.

Storage decides: the lease row (PostgreSQL, judged by the database's clock) or the memory
adapter (judged by a monotonic clock) is the only truth, so every server process sharing one
PostgreSQL sees one lock, and a wall-clock jump never moves an expiry. This module adds the
rules of the contract (TTL range, who may renew and release, the seed's simple form) and wakes
its waiters when the lease changes: at once for changes made here, through the storage's
change feed (LISTEN/NOTIFY) for changes made by other processes, and at expiry by a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.config.llm_lock import LlmLockSettings
from services.domain.errors import FailedPrecondition, InvalidArgument, StorageUnavailable
from services.domain.models import Lease, content_hash
from services.storage.port import Leases

log = logging.getLogger(__name__)

SIMPLE_PREFIX = "simple-"  # lease ids taken by the seed's simple form (SetLlmLock)
DEFAULT_SIMPLE_HOLDER = "agent"
RELISTEN_SECONDS = 1.0  # after the change feed fails (storage down), retry this often


def idempotent_lease_id(holder: str, request_id: str) -> str:
    """The lease id for an acquire with a request id: a retry maps to the same lease."""
    return "req-" + content_hash(f"{holder}\0{request_id}")[:32]


@dataclass(frozen=True)
class LockState:
    """The lock as clients see it. Never carries a lease id."""

    locked: bool
    holder: str = ""
    fencing_token: int = 0
    expires_at: datetime | None = None
    remaining_seconds: float = 0.0

    @classmethod
    def of(cls, live: Lease | None, last: Lease | None) -> LockState:
        if live is None:
            return cls(locked=False, fencing_token=last.fencing_token if last else 0)
        remaining = max((live.expires_at - datetime.now(UTC)).total_seconds(), 0.0)
        return cls(True, live.holder, live.fencing_token, live.expires_at, remaining)

    def describe(self) -> str:
        if not self.locked:
            return "free"
        until = self.expires_at.isoformat(timespec="seconds") if self.expires_at else "?"
        return f"locked by {self.holder} until {until}"


@dataclass(frozen=True)
class Acquired:
    acquired: bool
    lease_id: str  # "" unless acquired
    state: LockState


class LlmLock:
    """Lease rules and wake-ups over storage. `start()` before use, `close()` after."""

    def __init__(self, storage: Leases, settings: LlmLockSettings) -> None:
        self._storage = storage
        self._settings = settings
        self._changed = asyncio.Event()  # replaced after each change: waiters hold the old one
        self._listener: asyncio.Task | None = None

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="llm-lock-changes")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._wake()  # nobody waits on a closed lock

    # --- the contract -----------------------------------------------------------------
    def ttl(self, ttl_seconds: int) -> timedelta:
        """0 means the default; outside [min, max] is INVALID_ARGUMENT."""
        low = self._settings.llm_lock_min_ttl_seconds
        high = self._settings.llm_lock_max_ttl_seconds
        ttl = ttl_seconds or self._settings.llm_lock_default_ttl_seconds
        if not low <= ttl <= high:
            raise InvalidArgument(f"ttl_seconds must be between {low} and {high} (got {ttl})",
                                  metadata={"field": "ttl_seconds"})
        return timedelta(seconds=ttl)

    async def acquire(self, holder: str, ttl_seconds: int, *,
                      lease_id: str | None = None) -> Acquired:
        ttl = self.ttl(ttl_seconds)
        lease_id = lease_id or uuid.uuid4().hex
        lease, taken = await self._storage.acquire_lease(holder, ttl, lease_id)
        if taken:
            self._wake()
            log.info("LLM lock acquired by %s (token %d)", holder, lease.fencing_token)
            return Acquired(True, lease.lease_id, LockState.of(lease, lease))
        return Acquired(False, "", LockState.of(lease, lease))

    async def renew(self, lease_id: str, ttl_seconds: int) -> LockState:
        ttl = self.ttl(ttl_seconds)
        lease = await self._storage.renew_lease(lease_id, ttl)
        if lease is None:
            raise await self._not_live(lease_id, "renew")
        self._wake()
        return LockState.of(lease, lease)

    async def release(self, lease_id: str) -> LockState:
        """Free the lease. Again for the same lease is fine; a stranger's id changes nothing."""
        if not await self._storage.release_lease(lease_id):
            last = await self._storage.last_lease()
            if last is None or last.lease_id != lease_id:  # never issued, or superseded
                raise await self._not_live(lease_id, "release")
        else:
            self._wake()
            log.info("LLM lock released (lease %s)", lease_id[:8])
        return await self.state()

    async def state(self) -> LockState:
        live = await self._storage.current_lease()
        return LockState.of(live, live or await self._storage.last_lease())

    async def set(self, locked: bool, ttl_seconds: int, holder: str) -> tuple[bool, LockState]:
        """The seed's simple form, on the same lease. Returns (applied, state).

        Locking renews this holder's simple-form lease or takes a new one; unlocking frees only
        a simple-form lease of this holder, never anyone else's or a newer lease.
        """
        holder = holder or DEFAULT_SIMPLE_HOLDER
        live = await self._storage.current_lease()
        own = live is not None and live.holder == holder and live.lease_id.startswith(
            SIMPLE_PREFIX)
        if locked:
            if own:
                return True, await self.renew(live.lease_id, ttl_seconds)
            result = await self.acquire(holder, ttl_seconds,
                                        lease_id=SIMPLE_PREFIX + uuid.uuid4().hex)
            return result.acquired, result.state
        if own:
            return True, await self.release(live.lease_id)
        return live is None, await self.state()

    # --- waiting ----------------------------------------------------------------------
    async def wait_for_change(self, at_most: float | None) -> None:
        """Return after the next change anywhere, or after `at_most` seconds."""
        changed = self._changed
        # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation that
        # arrives as the change does, and a cancelled watch would then go on watching.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await changed.wait()

    async def watch(self) -> AsyncIterator[LockState]:
        """The current state, then each new one (changes, and expiry when it comes)."""
        last = None
        while True:
            state = await self.state()
            key = (state.locked, state.holder, state.fencing_token, state.expires_at)
            if key != last:  # a new state, not the same one with less time remaining
                yield state
                last = key
            # Wake at the expiry (plus a hair, so the storage's clock has passed it too).
            await self.wait_for_change(state.remaining_seconds + 0.01 if state.locked else None)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _listen(self) -> None:
        """Turn the storage's change feed into wake-ups; survive storage outages."""
        while True:
            try:
                async for _ in self._storage.lease_changes():
                    self._wake()
            except StorageUnavailable as err:
                log.debug("lease change feed unavailable: %s", err)
            self._wake()  # something may have changed while the feed was down
            await asyncio.sleep(RELISTEN_SECONDS)

    async def _not_live(self, lease_id: str, action: str) -> FailedPrecondition:
        state = await self.state()
        return FailedPrecondition(
            f"cannot {action} lease {lease_id!r}: it is not the live lease (it expired, was "
            f"released, or a newer lease replaced it); the lock is {state.describe()}",
            reason="LEASE_NOT_LIVE", metadata={"lease_id": lease_id, "holder": state.holder})
