"""The connection class of every pool connection: a cancelled query must not hold its caller.

When a query is cancelled (a call's deadline passed, health's ping gave up), asyncpg sends a
cancel request to the server and, before the connection can be used or released, waits for the
server to acknowledge it — up to the command timeout (30 s), and the caller's clean-up (the
transaction's ROLLBACK, the pool's release) waits with it. A frozen server (stopped, swapping,
a stalled disk) acknowledges nothing, so every cancelled call would be held that long. Here a
cancellation the server has not acknowledged within CANCEL_ACK_SECONDS drops the connection
instead: the caller's clean-up then fails at once, and the pool opens a new connection later.
"""

from __future__ import annotations

import asyncpg

# A live server acknowledges a cancel request in milliseconds, also on a loaded machine.
CANCEL_ACK_SECONDS = 2.0


class BoundedCancelConnection(asyncpg.Connection):
    # Hooks asyncpg 0.32's internal cancel path (pinned in pyproject.toml): the protocol calls
    # _cancel_current_command for each cancelled query and reports _is_cancelling() until the
    # server has acknowledged it.
    _cancels = 0  # cancellations started on this connection: tells a later one from this one

    def _cancel_current_command(self, waiter, cancel_waiter=None):
        super()._cancel_current_command(waiter, cancel_waiter)
        self._cancels += 1
        self._loop.call_later(CANCEL_ACK_SECONDS, self._drop_if_unacknowledged, self._cancels)

    def _drop_if_unacknowledged(self, cancel: int) -> None:
        if cancel == self._cancels and self._protocol._is_cancelling() and not self.is_closed():
            self.terminate()
