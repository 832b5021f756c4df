"""The response byte budget: the backstop behind every service's own budgeting.

Services build responses to fit; this check measures every outgoing message, unary and
streamed, and turns anything larger into RESOURCE_EXHAUSTED so no code path can leak one.
"""

from __future__ import annotations

from google.protobuf.message import Message

from services.domain.errors import ResourceExhausted


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
