"""The blocking client."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import grpc

from clients.api import Api, make_stubs
from clients.channel import CHANNEL_OPTIONS, DEFAULT_TIMEOUT_SECONDS, bearer
from clients.errors import KnowportRpcError, LockBusy
from clients.results import wrap


class KnowportClient(Api):
    """Blocking calls with a deadline each; errors raise KnowportRpcError."""

    def __init__(self, address: str = "127.0.0.1:50051", *,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, token: str = "",
                 credentials: grpc.ChannelCredentials | None = None) -> None:
        self.address = address
        self.timeout = timeout
        self._metadata = bearer(token)
        self._channel = (grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
                         if credentials is None else
                         grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS))
        self._stubs = make_stubs(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> KnowportClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _unary(self, service: str, method: str, request: Any) -> Any:
        try:
            return wrap(getattr(self._stubs[service], method)(
                request, timeout=self.timeout, metadata=self._metadata))
        except grpc.RpcError as err:
            raise KnowportRpcError.from_rpc_error(err, self.address) from None

    def _stream(self, service: str, method: str, request: Any) -> Iterator[Any]:
        call = getattr(self._stubs[service], method)(request, metadata=self._metadata)
        try:
            for message in call:
                yield wrap(message)
        except grpc.RpcError as err:
            raise KnowportRpcError.from_rpc_error(err, self.address) from None
        finally:
            call.cancel()  # the caller stopped reading (a no-op once the stream has ended)

    @contextlib.contextmanager
    def llm_lock(self, holder: str, ttl_seconds: int = 60) -> Iterator[Any]:
        """Hold the LLM lock for the block: renewed every third of the TTL in a background
        thread, released on exit, also on error. Raises LockBusy when someone else holds it."""
        taken = self.acquire_llm_lock(holder, ttl_seconds)
        if not taken.acquired:
            raise LockBusy(taken.lock)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(ttl_seconds / 3):
                try:
                    self.renew_llm_lock(taken.lease_id, ttl_seconds)
                except KnowportRpcError:
                    return  # lost (expired or replaced): nothing left to renew

        renewer = threading.Thread(target=renew, name="llm-lock-renew", daemon=True)
        renewer.start()
        try:
            yield taken
        finally:
            stop.set()
            renewer.join()
            with contextlib.suppress(KnowportRpcError):
                self.release_llm_lock(taken.lease_id)
