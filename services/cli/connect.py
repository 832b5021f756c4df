"""Reaching the server from the command line."""

from __future__ import annotations

from clients import KnowportClient, KnowportRpcError
from services.config import Settings


def address_of(settings: Settings) -> str:
    return f"{settings.runtime.grpc_host}:{settings.runtime.grpc_port}"


def client_for(settings: Settings, timeout: float = 30.0) -> KnowportClient:
    """A client for GRPC_HOST:GRPC_PORT, sending KNOWPORT_AUTH_TOKEN when one is set."""
    return KnowportClient(address_of(settings), timeout=timeout,
                          token=settings.runtime.knowport_auth_token.get_secret_value())


def describe_error(err: KnowportRpcError, address: str) -> str:
    """One line for a person: what failed and what to do."""
    if err.code.name == "UNAVAILABLE" and "connect" in err.message.lower():
        return (f"no server at {address}; start one with `knowport serve` "
                f"(GRPC_HOST/GRPC_PORT choose where to look)")
    return f"{err.code.name}: {err.message}"
