"""LockService over gRPC.

The lease has not landed yet: every RPC validates its request and answers UNIMPLEMENTED
rather than pretend a lock is held.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from knowport.v1 import lock_service_pb2 as pb
from knowport.v1 import lock_service_pb2_grpc as pb_grpc
from services.config.llm_lock import LlmLockSettings
from services.domain.errors import InvalidArgument, NotImplementedYet
from services.rpc.requests import bounded_text

_NOT_YET = "the LLM lock is not available in this build yet"


class LockServicer(pb_grpc.LockServiceServicer):
    def __init__(self, settings: LlmLockSettings) -> None:
        self._settings = settings

    def _ttl(self, ttl_seconds: int) -> int:
        low, high = self._settings.llm_lock_min_ttl_seconds, self._settings.llm_lock_max_ttl_seconds
        ttl = ttl_seconds or self._settings.llm_lock_default_ttl_seconds
        if not low <= ttl <= high:
            raise InvalidArgument(f"ttl_seconds must be between {low} and {high} (got {ttl})",
                                  metadata={"field": "ttl_seconds"})
        return ttl

    async def AcquireLlmLock(self, request, context) -> pb.AcquireLlmLockResponse:
        bounded_text(request.holder, "holder", max_bytes=128, required=True)
        self._ttl(request.ttl_seconds)
        raise NotImplementedYet(f"AcquireLlmLock: {_NOT_YET}")

    async def RenewLlmLock(self, request, context) -> pb.RenewLlmLockResponse:
        bounded_text(request.lease_id, "lease_id", max_bytes=128, required=True)
        self._ttl(request.ttl_seconds)
        raise NotImplementedYet(f"RenewLlmLock: {_NOT_YET}")

    async def ReleaseLlmLock(self, request, context) -> pb.ReleaseLlmLockResponse:
        bounded_text(request.lease_id, "lease_id", max_bytes=128, required=True)
        raise NotImplementedYet(f"ReleaseLlmLock: {_NOT_YET}")

    async def GetLlmLock(self, request, context) -> pb.GetLlmLockResponse:
        raise NotImplementedYet(f"GetLlmLock: {_NOT_YET}")

    async def WatchLlmLock(self, request, context) -> AsyncIterator[pb.WatchLlmLockResponse]:
        raise NotImplementedYet(f"WatchLlmLock: {_NOT_YET}")
        yield  # makes this an async generator, as every streaming handler here is

    async def SetLlmLock(self, request, context) -> pb.SetLlmLockResponse:
        bounded_text(request.holder, "holder", max_bytes=128)
        if request.locked:
            self._ttl(request.ttl_seconds)
        raise NotImplementedYet(f"SetLlmLock: {_NOT_YET}")
