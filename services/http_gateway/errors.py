"""Errors as `google.rpc.Status` JSON with the HTTP status of AIP-193's mapping.

Both kinds end here: a gRPC call's status (with its rich details, as the server sent them)
and the gateway's own refusals, which are the domain's errors (each carries its code name).
"""

from __future__ import annotations

import json
import logging
import uuid

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from services.domain.errors import KnowportError
from services.rpc.status import ERROR_DOMAIN

log = logging.getLogger(__name__)

# google.rpc.Code name -> HTTP status (AIP-193; google/rpc/code.proto states the same).
HTTP_STATUS = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504, "NOT_FOUND": 404, "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401, "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400, "UNIMPLEMENTED": 501,
    "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500,
}


class GatewayError(KnowportError):
    """A refusal by the gateway itself, with an explicit HTTP status where AIP-193's mapping
    has a more precise one (413 for a too-large request body, 405 for a wrong verb)."""

    def __init__(self, error: KnowportError, http_status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(error.message, reason=error.reason, metadata=error.metadata)
        self.code = error.code
        self.http_status = http_status or HTTP_STATUS[error.code]
        self.headers = headers or {}


def status_json(status: status_pb2.Status) -> bytes:
    """The Status as one line of JSON: {code, message, details}."""
    body = json_format.MessageToDict(status, always_print_fields_with_no_presence=True)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def status_of_error(error: KnowportError) -> status_pb2.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN,
                                          metadata=error.metadata))
    return status_pb2.Status(code=code_pb2.Code.Value(error.code), message=error.message,
                             details=[info])


def status_of_rpc_error(err: grpc.aio.AioRpcError) -> status_pb2.Status:
    """The call's google.rpc.Status: the rich one the server sent, or code and message."""
    try:
        rich = rpc_status.from_call(err)
    except ValueError:  # details that do not match code and message: keep what is sure
        rich = None
    if rich is not None:
        return rich
    return status_pb2.Status(code=err.code().value[0], message=err.details() or "")


def code_name(status: status_pb2.Status) -> str:
    return code_pb2.Code.Name(status.code) if status.code in code_pb2.Code.values() else "UNKNOWN"


def internal_error(exc: BaseException) -> status_pb2.Status:
    """An unexpected failure: a generic message for the caller, the traceback in the log."""
    ref = uuid.uuid4().hex[:12]
    log.error("unexpected error in the HTTP gateway (ref %s)", ref, exc_info=exc)
    return status_pb2.Status(code=code_pb2.INTERNAL,
                             message=f"internal error; the server log has details (ref {ref})")
