"""Requests whose bytes are not the RPC's message.

grpc.aio deserialises a unary request before any handler or interceptor code runs, and a
deserialiser that raises ends the call UNKNOWN with an ERROR traceback in the log. So the
deserialiser is wrapped: for a unary request it returns a `Malformed` marker that the
interceptor turns into INVALID_ARGUMENT; for a streamed request (read inside the handler,
where the interceptor's error mapping runs) it raises InvalidArgument directly. The log gets
at most one line per `interval` seconds, with the count of those left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from google.protobuf.message import DecodeError

from services.domain.errors import InvalidArgument

log = logging.getLogger(__name__)


class Malformed:
    """Stands in for a unary request whose bytes did not parse."""

    __slots__ = ("message_name", "problem")

    def __init__(self, message_name: str, problem: str) -> None:
        self.message_name = message_name
        self.problem = problem

    def error(self) -> InvalidArgument:
        return InvalidArgument(f"request is not a valid {self.message_name}: {self.problem}",
                               reason="MALFORMED_REQUEST",
                               metadata={"message": self.message_name})


class RateLimitedLog:
    """One warning per `interval` seconds at most; the next one says how many were left out."""

    def __init__(self, interval: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next_at = 0.0
        self._suppressed = 0

    def warn(self, text: str) -> None:
        now = self._clock()
        if now < self._next_at:
            self._suppressed += 1
            return
        more = f" ({self._suppressed} more since the last such line)" if self._suppressed else ""
        log.warning("%s%s", text, more)
        self._next_at, self._suppressed = now + self._interval, 0


def _message_name(deserializer: Callable[[bytes], Any]) -> str:
    owner = getattr(deserializer, "__self__", None)  # FromString is a bound classmethod
    return getattr(owner, "__name__", "request message")


def tolerant_deserializer(deserializer: Callable[[bytes], Any], method: str,
                          streamed: bool, warnings: RateLimitedLog) -> Callable[[bytes], Any]:
    """`deserializer` that never lets DecodeError reach gRPC (see the module's docstring)."""
    name = _message_name(deserializer)

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except DecodeError as exc:
            problem = str(exc).rsplit(": ", 1)[-1] or "does not parse"
            warnings.warn(f"malformed request to {method}: not a valid {name} ({problem})")
            malformed = Malformed(name, problem)
            if streamed:
                raise malformed.error() from None
            return malformed

    return parse
