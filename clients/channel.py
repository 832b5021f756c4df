"""Channel settings shared by the sync and async clients."""

from __future__ import annotations

import json

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
