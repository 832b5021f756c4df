"""Domain errors to gRPC status codes, in one place.

Details travel as google.rpc.Status with an ErrorInfo{reason, domain, metadata}
(AIP-193), so clients can act on `reason` without parsing messages.
"""

from __future__ import annotations

import logging
import uuid

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from services.domain import errors

log = logging.getLogger(__name__)

ERROR_DOMAIN = "knowport"

_CODES: tuple[tuple[type[errors.KnowportError], grpc.StatusCode], ...] = (
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.NotImplementedYet, grpc.StatusCode.UNIMPLEMENTED),
)


def status_code_for(exc: errors.KnowportError) -> grpc.StatusCode:
    for kind, code in _CODES:
        if isinstance(exc, kind):
            return code
    return grpc.StatusCode.INTERNAL


def _status_details(code: grpc.StatusCode, message: str, reason: str,
                    metadata: dict[str, str]) -> bytes:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata))
    return status_pb2.Status(code=code.value[0], message=message,
                             details=[info]).SerializeToString()


async def abort_for(exc: Exception, context: grpc.aio.ServicerContext, method: str) -> None:
    """End the call with the status that `exc` means. Always raises (grpc.aio.AbortError)."""
    if isinstance(exc, errors.KnowportError):
        code, message, reason, metadata = (status_code_for(exc), exc.message, exc.reason,
                                           exc.metadata)
    else:
        # Unexpected: a generic message for the client, the traceback for the operator.
        ref = uuid.uuid4().hex[:12]
        log.error("unexpected error in %s (ref %s)", method, ref, exc_info=exc)
        message = f"internal error; the server log has details (ref {ref})"
        code, reason, metadata = grpc.StatusCode.INTERNAL, "INTERNAL", {"ref": ref}
    details = _status_details(code, message, reason, metadata)
    await context.abort(code, message, trailing_metadata=(("grpc-status-details-bin", details),))
