"""Channel settings shared by the sync and async clients."""

from __future__ import annotations

import json
from pathlib import Path

import grpc

DEFAULT_TIMEOUT_SECONDS = 10.0

# gRPC's own retry machinery, for UNAVAILABLE only: the server was not reached or is
# restarting. Everything else is the caller's to handle; mutations the client may retry carry
# a request_id, so a retried StartIngest or AcquireLlmLock cannot act twice.
_RETRY_POLICY = {
    "methodConfig": [{
        "name": [{"service": f"knowport.v1.{name}"}
                 for name in ("IngestService", "LockService", "KnowledgeService")],
        "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.2s", "maxBackoff": "2s",
                        "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
    }],
}

CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 1),
    ("grpc.service_config", json.dumps(_RETRY_POLICY)),
    ("grpc.max_receive_message_length", 4 * 1024 * 1024),
]


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata for servers started with an access token."""
    return (("authorization", f"Bearer {token}"),) if token else ()


def tls(ca_file: str | Path, cert_file: str | Path | None = None,
        key_file: str | Path | None = None) -> grpc.ChannelCredentials:
    """Credentials for a TLS server whose certificate `ca_file` signed; with a client
    certificate and key as well for a server that requires mutual TLS."""
    if (cert_file is None) != (key_file is None):
        raise ValueError("a client certificate and its key go together")
    return grpc.ssl_channel_credentials(
        root_certificates=Path(ca_file).read_bytes(),
        private_key=Path(key_file).read_bytes() if key_file else None,
        certificate_chain=Path(cert_file).read_bytes() if cert_file else None)
