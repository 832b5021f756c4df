"""The asyncio client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc

from clients.api import Api, make_stubs
from clients.channel import CHANNEL_OPTIONS, DEFAULT_TIMEOUT_SECONDS, bearer
from clients.errors import KnowportRpcError, LockBusy
from clients.results import wrap


class AsyncKnowportClient(Api):
    """Awaitable calls with a deadline each; errors raise KnowportRpcError."""

    def __init__(self, address: str = "127.0.0.1:50051", *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, token: str = "",
                 credentials: grpc.ChannelCredentials | None = None) -> None:
        self.address = address
        self.timeout = timeout
        self._metadata = bearer(token)
        self._channel = (grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
                         if credentials is None else
                         grpc.aio.secure_channel(address, credentials, options=CHANNEL_OPTIONS))
        self._stubs = make_stubs(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncKnowportClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _unary(self, service: str, method: str, request: Any) -> Any:
        try:
            return wrap(await getattr(self._stubs[service], method)(
                request, timeout=self.timeout, metadata=self._metadata))
        except grpc.RpcError as err:
            raise KnowportRpcError.from_rpc_error(err, self.address) from None

    async def _stream(self, service: str, method: str, request: Any) -> AsyncIterator[Any]:
        try:
            async for message in getattr(self._stubs[service], method)(
                    request, metadata=self._metadata):
                yield wrap(message)
        except grpc.RpcError as err:
            raise KnowportRpcError.from_rpc_error(err, self.address) from None

    @contextlib.asynccontextmanager
    async def llm_lock(self, holder: str, ttl_seconds: int = 60) -> AsyncIterator[Any]:
        """`async with` form of KnowportClient.llm_lock: renewed while the block runs,
        released on exit, also on error or cancellation."""
        taken = await self.acquire_llm_lock(holder, ttl_seconds)
        if not taken.acquired:
            raise LockBusy(taken.lock)

        async def renew() -> None:
            while True:
                await asyncio.sleep(ttl_seconds / 3)
                try:
                    await self.renew_llm_lock(taken.lease_id, ttl_seconds)
                except KnowportRpcError:
                    return

        renewer = asyncio.create_task(renew(), name="llm-lock-renew")
        try:
            yield taken
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(KnowportRpcError):
                await asyncio.shield(self.release_llm_lock(taken.lease_id))
