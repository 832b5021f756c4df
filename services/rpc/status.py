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
from grpc_status import rpc_status

from services.domain import errors

log = logging.getLogger(__name__)

ERROR_DOMAIN = "knowport"


def status_code_for(exc: errors.KnowportError) -> grpc.StatusCode:
    """The gRPC status the error names (its `code`, a google.rpc.Code name)."""
    return grpc.StatusCode[exc.code]


def _status(code: grpc.StatusCode, message: str, reason: str,
            metadata: dict[str, str]) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=metadata))
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message,
                                                  details=[info]))


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
    await context.abort_with_status(_status(code, message, reason, metadata))
