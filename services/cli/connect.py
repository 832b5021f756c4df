"""Reaching the server from the command line."""

from __future__ import annotations

import grpc

from services.config import Settings


def address_of(settings: Settings) -> str:
    return f"{settings.runtime.grpc_host}:{settings.runtime.grpc_port}"


def describe_rpc_error(err: grpc.RpcError, address: str) -> str:
    """One line for a person: what failed and what to do."""
    code = err.code()
    if code == grpc.StatusCode.UNAVAILABLE and "connect" in (err.details() or "").lower():
        return (f"no server at {address}; start one with `knowport serve` "
                f"(GRPC_HOST/GRPC_PORT choose where to look)")
    return f"{code.name}: {err.details()}"
