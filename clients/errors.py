"""Client-side exceptions: the status code, the server's reason and its message."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


class KnowportRpcError(Exception):
    """A call failed. `code` is the gRPC status; `reason`/`metadata` come from ErrorInfo."""

    def __init__(self, code: grpc.StatusCode, message: str, reason: str = "",
                 metadata: dict[str, str] | None = None) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.metadata = dict(metadata or {})

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> KnowportRpcError:
        reason, metadata = "", {}
        status = rpc_status.from_call(err) if hasattr(err, "trailing_metadata") else None
        for detail in status.details if status else ():
            info = error_details_pb2.ErrorInfo()
            if detail.Unpack(info):
                reason, metadata = info.reason, dict(info.metadata)
        return cls(err.code(), err.details() or "", reason, metadata)


class LockBusy(Exception):
    """The LLM lock is held by someone else; `lock` is its current state (knowport.v1.LlmLock)."""

    def __init__(self, lock) -> None:
        until = lock.expire_time.ToJsonString() if lock.HasField("expire_time") else "?"
        super().__init__(f"the LLM lock is held by {lock.holder} until {until}")
        self.lock = lock
