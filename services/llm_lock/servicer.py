"""LockService over gRPC: validation and message conversion around services.llm_lock.lock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.protobuf.timestamp_pb2 import Timestamp
from grpc.aio import ServicerContext

from knowport.v1 import lock_service_pb2 as pb
from knowport.v1 import lock_service_pb2_grpc as pb_grpc
from services.domain import limits
from services.llm_lock.lock import LlmLock, LockState, idempotent_lease_id
from services.rpc.requests import bounded_text


def lock_to_proto(state: LockState) -> pb.LlmLock:
    expire_time = None
    if state.expires_at is not None:
        expire_time = Timestamp()
        expire_time.FromDatetime(state.expires_at)
    return pb.LlmLock(locked=state.locked, holder=state.holder,
                      fencing_token=state.fencing_token, expire_time=expire_time,
                      remaining_ms=int(state.remaining_seconds * 1000))


def _holder(value: str, *, required: bool) -> str:
    return bounded_text(value, "holder", max_bytes=limits.ID_BYTES, required=required).strip()


def _lease_id(value: str) -> str:
    return bounded_text(value, "lease_id", max_bytes=limits.ID_BYTES, required=True)


class LockServicer(pb_grpc.LockServiceServicer):
    def __init__(self, lock: LlmLock) -> None:
        self._lock = lock

    async def AcquireLlmLock(self, request: pb.AcquireLlmLockRequest,
                             context: ServicerContext) -> pb.AcquireLlmLockResponse:
        holder = _holder(request.holder, required=True)
        request_id = bounded_text(request.request_id, "request_id", max_bytes=limits.ID_BYTES)
        result = await self._lock.acquire(
            holder, request.ttl_seconds,
            lease_id=idempotent_lease_id(holder, request_id) if request_id else None)
        return pb.AcquireLlmLockResponse(acquired=result.acquired, lease_id=result.lease_id,
                                         lock=lock_to_proto(result.state))

    async def RenewLlmLock(self, request: pb.RenewLlmLockRequest,
                           context: ServicerContext) -> pb.RenewLlmLockResponse:
        state = await self._lock.renew(_lease_id(request.lease_id), request.ttl_seconds)
        return pb.RenewLlmLockResponse(lock=lock_to_proto(state))

    async def ReleaseLlmLock(self, request: pb.ReleaseLlmLockRequest,
                             context: ServicerContext) -> pb.ReleaseLlmLockResponse:
        state = await self._lock.release(_lease_id(request.lease_id))
        return pb.ReleaseLlmLockResponse(lock=lock_to_proto(state))

    async def GetLlmLock(self, request: pb.GetLlmLockRequest,
                         context: ServicerContext) -> pb.GetLlmLockResponse:
        return pb.GetLlmLockResponse(lock=lock_to_proto(await self._lock.state()))

    async def WatchLlmLock(self, request: pb.WatchLlmLockRequest,
                           context: ServicerContext) -> AsyncIterator[pb.WatchLlmLockResponse]:
        async for state in self._lock.watch():
            yield pb.WatchLlmLockResponse(lock=lock_to_proto(state))

    async def SetLlmLock(self, request: pb.SetLlmLockRequest,
                         context: ServicerContext) -> pb.SetLlmLockResponse:
        holder = _holder(request.holder, required=False)
        if request.locked:
            self._lock.ttl(request.ttl_seconds)  # validate before looking at the lease
        applied, state = await self._lock.set(request.locked, request.ttl_seconds, holder)
        return pb.SetLlmLockResponse(lock=lock_to_proto(state), applied=applied)
