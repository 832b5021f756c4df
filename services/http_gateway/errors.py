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
from starlette.responses import Response

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


class HttpError(Exception):
    """A failed request: its google.rpc.Status, and the HTTP status when a more precise one
    than AIP-193's applies (413 for a too-large request body, 405 for a wrong verb)."""

    def __init__(self, status: status_pb2.Status, http_status: int | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status.message)
        self.status = status
        self.http_status = http_status or HTTP_STATUS.get(code_name(status), 500)
        self.headers = dict(headers or {})
        if code_name(status) == "UNAUTHENTICATED":
            self.headers["WWW-Authenticate"] = 'Bearer realm="knowport"'

    @classmethod
    def of(cls, error: KnowportError, http_status: int | None = None,
           headers: dict[str, str] | None = None) -> HttpError:
        """A domain error, with its ErrorInfo as the server would send it."""
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN,
                                              metadata=error.metadata))
        status = status_pb2.Status(code=code_pb2.Code.Value(error.code),
                                   message=error.message, details=[info])
        return cls(status, http_status, headers)

    @classmethod
    def of_rpc(cls, err: grpc.aio.AioRpcError) -> HttpError:
        """A call's status: the rich one the server sent, else its code and message."""
        try:
            status = rpc_status.from_call(err)
        except ValueError:  # details that contradict code and message: keep what is sure
            status = None
        if status is None:
            status = status_pb2.Status(code=err.code().value[0], message=err.details() or "")
        return cls(status)

    @classmethod
    def internal(cls, exc: BaseException) -> HttpError:
        """An unexpected failure: a generic message for the caller, the traceback in the log."""
        ref = uuid.uuid4().hex[:12]
        log.error("unexpected error in the HTTP gateway (ref %s)", ref, exc_info=exc)
        return cls(status_pb2.Status(
            code=code_pb2.INTERNAL,
            message=f"internal error; the server log has details (ref {ref})"))

    def json(self) -> bytes:
        """The Status as one line of JSON: {code, message, details}."""
        body = json_format.MessageToDict(self.status,
                                         always_print_fields_with_no_presence=True)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def response(self) -> Response:
        return Response(self.json(), self.http_status, headers=self.headers,
                        media_type="application/json")


def code_name(status: status_pb2.Status) -> str:
    return code_pb2.Code.Name(status.code) if status.code in code_pb2.Code.values() else "UNKNOWN"
