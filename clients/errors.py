"""Client-side exceptions: the status code, the server's reason and its message."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def unreachable_message(address: str, cause: str) -> str:
    """The one line for "no server answered": the clients' str() of the error, and the
    wording the CLI and the MCP bridge can build their hints on."""
    return f"no server reachable at {address}: {cause}" if cause else \
        f"no server reachable at {address}"


def connect_cause(details: str) -> str:
    """What gRPC's connect failure text comes down to, e.g. "connection refused" from
    "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to
    connect to remote host: Connection refused"."""
    cause = details.rsplit(": ", 1)[-1].strip(" []().")
    if cause[1:2].islower():  # a sentence, not an acronym like CERTIFICATE_VERIFY_FAILED
        cause = cause[0].lower() + cause[1:]
    return " ".join(cause.split())


class KnowportRpcError(Exception):
    """A call failed. `code` is the gRPC status; `reason`/`metadata` come from ErrorInfo.
    `unreachable` is true when no server answered at `address` (UNAVAILABLE that no server
    wrote); str() is then one line naming the address and the cause."""

    def __init__(self, code: grpc.StatusCode, message: str, reason: str = "",
                 metadata: dict[str, str] | None = None, *, address: str = "") -> None:
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})
        self.address = address
        # The server's own UNAVAILABLE (storage down, shutting down) carries an ErrorInfo.
        self.unreachable = code == grpc.StatusCode.UNAVAILABLE and not reason
        if self.unreachable and address:
            line = unreachable_message(address, connect_cause(message))
        else:
            line = f"{code.name}: {' '.join(message.split())}"
        super().__init__(line)

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError, address: str = "") -> KnowportRpcError:
        reason, metadata = "", {}
        status = rpc_status.from_call(err) if hasattr(err, "trailing_metadata") else None
        for detail in status.details if status else ():
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reason, metadata = info.reason, dict(info.metadata)
        return cls(err.code(), err.details() or "", reason, metadata, address=address)


class LockBusy(Exception):
    """The LLM lock is held by someone else; `lock` is its current state (knowport.v1.LlmLock)."""

    def __init__(self, lock) -> None:
        until = lock.expire_time.ToJsonString() if lock.HasField("expire_time") else "?"
        super().__init__(f"the LLM lock is held by {lock.holder} until {until}")
        self.lock = lock
