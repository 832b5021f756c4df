"""The pipeline's LLM gate: every LLM-dependent request waits here while the lock is held.

Policy for requests already in flight when the lock is taken: they are allowed to finish,
bounded by the request timeout (LLM_TIMEOUT_SECONDS). No new request starts after acquire has
returned: the gate reads the lease from storage right before each request (a request that
passed the gate an instant before the acquire committed is, by then, in flight).
"""

from __future__ import annotations

import logging

from services.llm_lock.lock import LlmLock

log = logging.getLogger(__name__)


class LockGate:
    """Implements services.inference.llm.LlmGate over the LLM lock."""

    def __init__(self, lock: LlmLock) -> None:
        self._lock = lock
        self.paused_reason = ""  # shown in the job's progress while waiting

    async def wait_open(self) -> None:
        while True:
            state = await self._lock.state()
            if not state.locked:
                if self.paused_reason:
                    log.info("LLM lock free: resuming LLM requests")
                self.paused_reason = ""
                return
            if not self.paused_reason:
                log.info("LLM requests paused: %s", state.describe())
            self.paused_reason = f"paused: LLM {state.describe()}"
            # Woken by a release anywhere, or at the expiry; then the storage decides again.
            await self._lock.wait_for_change(state.remaining_seconds + 0.01)
