"""The domain's own exceptions.

Code below the transport raises these. Each kind carries its status as a canonical code name
(google.rpc.Code: the same names as gRPC's status codes, and what an HTTP gateway maps to HTTP
statuses), so no servicer picks status codes by hand and there is no table to keep in step:
services/rpc/status.py turns the name into the gRPC status.
"""

from __future__ import annotations


class KnowportError(Exception):
    """Base of every error the product raises on purpose.

    `reason` is a stable UPPER_SNAKE_CASE token (it travels as google.rpc.ErrorInfo.reason);
    `metadata` holds small string facts a client may act on (a field name, a holder id).
    """

    code = "INTERNAL"  # a google.rpc.Code name; each kind below names its own
    default_reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None,
                 metadata: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata = dict(metadata or {})


class InvalidArgument(KnowportError):
    """The request itself is wrong; retrying it unchanged cannot succeed."""

    code = "INVALID_ARGUMENT"
    default_reason = "INVALID_ARGUMENT"


class NotFound(KnowportError):
    """The named workspace, file, job or lease does not exist."""

    code = "NOT_FOUND"
    default_reason = "NOT_FOUND"


class AlreadyExists(KnowportError):
    """The thing to create exists already (or is already running)."""

    code = "ALREADY_EXISTS"
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(KnowportError):
    """The system is not in the state the request needs (e.g. a wrong or expired lease)."""

    code = "FAILED_PRECONDITION"
    default_reason = "FAILED_PRECONDITION"


class Unavailable(KnowportError):
    """A dependency is down for now; the same request may succeed later."""

    code = "UNAVAILABLE"
    default_reason = "UNAVAILABLE"


class ResourceExhausted(KnowportError):
    """A limit was reached: a response over the byte budget, or too many calls at once."""

    code = "RESOURCE_EXHAUSTED"
    default_reason = "RESOURCE_EXHAUSTED"


class PermissionDenied(KnowportError):
    """The caller may not do this from where it is (e.g. a browser page of another origin)."""

    code = "PERMISSION_DENIED"
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(KnowportError):
    """The request lacks the access token (or has a wrong one)."""

    code = "UNAUTHENTICATED"
    default_reason = "UNAUTHENTICATED"


class StorageUnavailable(Unavailable):
    """The storage backend cannot be reached."""

    default_reason = "STORAGE_UNAVAILABLE"


class NotImplementedYet(KnowportError):
    """The RPC is part of the contract but its feature has not been built yet."""

    code = "UNIMPLEMENTED"
    default_reason = "NOT_IMPLEMENTED"
