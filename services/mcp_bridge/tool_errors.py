"""gRPC failures as short tool errors a model can act on: the code, the reason, what to do."""

from __future__ import annotations

from pydantic import ValidationError

from clients import KnowportRpcError

_MAX_MESSAGE = 300

# What to do next, by status code; a reason-specific hint wins (see _REASON_HINTS).
_CODE_HINTS = {
    "INVALID_ARGUMENT": "fix that argument and call again",
    "NOT_FOUND": "check the name; leave workspace empty for the default workspace",
    "FAILED_PRECONDITION": "check the state with the matching status tool, then try again",
    "RESOURCE_EXHAUSTED": "narrow the path filter or ask for a smaller page",
    "UNIMPLEMENTED": "this server does not offer it; search_docs and read_doc work without it",
    "INTERNAL": "the server failed; its log has the details under the ref above",
    "UNAUTHENTICATED": "the server wants a token: start the bridge with KNOWPORT_AUTH_TOKEN "
                       "set to the server's",
    "PERMISSION_DENIED": "the server refused the bridge",
    "ALREADY_EXISTS": "it exists already; use it instead of creating it again",
    "ABORTED": "try again",
    "CANCELLED": "try again",
}
_REASON_HINTS = {
    "LEASE_NOT_LIVE": "see get_llm_lock_status, and acquire the lock again if you still need it",
    "JOB_NOT_FOUND": "call get_ingest_status without job_id for the latest job",
    "BAD_PAGE_TOKEN": "omit page_token to start from the first page",
    "RESPONSE_TOO_LARGE": "narrow the path filter or ask for a smaller page",
    "STORAGE_UNAVAILABLE": "the server's storage is down; try again shortly",
    "NOT_IMPLEMENTED": "search_docs and read_doc work without it",
}


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= _MAX_MESSAGE else message[:_MAX_MESSAGE - 1] + "…"


def unreachable(address: str) -> str:
    return (f"UNAVAILABLE: no Knowledge Port server answers at {address}; start one with "
            "`knowport serve`, or point the bridge's GRPC_HOST/GRPC_PORT at it")


def too_slow(address: str, deadline: float) -> str:
    return (f"DEADLINE_EXCEEDED: the server at {address} did not answer within {deadline:g} s; "
            "try again shortly, or narrow the request")


def describe(err: KnowportRpcError, *, address: str, deadline: float) -> str:
    """One line: `CODE: what the server said; what to do` (the reason when it adds anything)."""
    code = err.code.name
    if code == "UNAVAILABLE" and not err.reason:  # the server was not reached at all
        return unreachable(address)
    if code == "DEADLINE_EXCEEDED":
        return too_slow(address, deadline)
    message = _short(err.message) or "no details"
    hint = _REASON_HINTS.get(err.reason, "")
    if not hint and "; " not in message:  # a message with "; " already says what to do
        hint = _CODE_HINTS.get(code, "try again shortly" if code == "UNAVAILABLE" else "")
    reason = f" [{err.reason}]" if err.reason and err.reason != code else ""
    return f"{code}{reason}: {message}" + (f"; {hint}" if hint else "")


def invalid_arguments(err: ValidationError) -> str:
    """One line for arguments that fail the input schema, in the form of the other tool errors:
    `INVALID_ARGUMENT: page_size: must be at most 50 (got 500); ...` - no pydantic URL, no input
    echoed at length (a query over the limit is named by its length)."""
    problems = "; ".join(_problem(error) for error in err.errors(include_url=False)[:3])
    return _short(f"INVALID_ARGUMENT: {problems}") + f"; {_CODE_HINTS['INVALID_ARGUMENT']}"


def _problem(error: dict) -> str:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                    for part in error.get("loc", ())).lstrip(".") or "arguments"
    message = error.get("msg", "is not valid")
    message = message[0].lower() + message[1:] if message else message
    if error.get("type") == "missing":
        return f"{field} is required"
    return f"{field}: {message} (got {_shown(error.get('input'))})"


def _shown(value: object) -> str:
    if isinstance(value, str) and len(value) > 40:
        return f"a string of {len(value):,} characters"
    shown = repr(value)
    return shown if len(shown) <= 40 else f"a {type(value).__name__}"
