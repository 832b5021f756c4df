"""Reaching the server from the command line."""

from __future__ import annotations

import grpc

from clients import KnowportClient, KnowportRpcError, tls
from services.config import Settings
from services.config.runtime import RuntimeSettings


def address_of(settings: Settings) -> str:
    return f"{settings.runtime.grpc_host}:{settings.runtime.grpc_port}"


def credentials_for(runtime: RuntimeSettings) -> grpc.ChannelCredentials | None:
    """TLS credentials when KNOWPORT_TLS_CA_FILE is set, else None (plaintext)."""
    files = runtime.client_tls_files
    return tls(*files) if files else None


def client_for(settings: Settings, timeout: float = 30.0) -> KnowportClient:
    """A client for GRPC_HOST:GRPC_PORT, sending KNOWPORT_AUTH_TOKEN when one is set and
    speaking TLS when KNOWPORT_TLS_CA_FILE is."""
    return KnowportClient(address_of(settings), timeout=timeout,
                          token=settings.runtime.knowport_auth_token.get_secret_value(),
                          credentials=credentials_for(settings.runtime))


def describe_error(err: KnowportRpcError, address: str) -> str:
    """One line for a person: what failed and what to do."""
    if err.code.name == "UNAVAILABLE" and "connect" in err.message.lower():
        return (f"no server at {address}; start one with `knowport serve` "
                f"(GRPC_HOST/GRPC_PORT choose where to look)")
    return f"{err.code.name}: {err.message}"
