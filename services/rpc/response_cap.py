"""The response byte budget: the backstop behind every service's own budgeting.

Services build responses to fit; this check measures every outgoing message, unary and
streamed, and turns anything larger into RESOURCE_EXHAUSTED so no code path can leak one.
"""

from __future__ import annotations

import grpc
from google.protobuf.message import Message

from services.domain.errors import InvalidArgument, ResourceExhausted
from services.domain.limits import MIN_ASKED_BUDGET_BYTES

# A caller whose encoding is larger than protobuf (the HTTP/JSON gateway) asks for a smaller
# budget with this metadata key; it can only lower the server's budget, never raise it.
BUDGET_METADATA_KEY = "knowport-budget-bytes"


def asked_budget(context: grpc.aio.ServicerContext, budget: int) -> int:
    """The server's budget, lowered to what the caller asked for in its metadata."""
    for key, value in context.invocation_metadata() or ():
        if key == BUDGET_METADATA_KEY:
            if not str(value).isdigit():
                raise InvalidArgument(f"{BUDGET_METADATA_KEY} must be a number of bytes",
                                      metadata={"field": BUDGET_METADATA_KEY})
            return max(MIN_ASKED_BUDGET_BYTES, min(budget, int(value)))
    return budget


def check_response_size(message: Message, budget_bytes: int, method: str) -> int:
    """Return the message's serialised size, or raise ResourceExhausted when over budget."""
    size = message.ByteSize()
    if size > budget_bytes:
        raise ResourceExhausted(
            f"{method}: the response would be {size} bytes, over the {budget_bytes}-byte "
            "budget; narrow the request (a smaller page_size, a path_glob or language filter, "
            "or a line range) and ask again",
            reason="RESPONSE_TOO_LARGE",
            metadata={"size_bytes": str(size), "budget_bytes": str(budget_bytes)},
        )
    return size
