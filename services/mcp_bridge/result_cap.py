"""The 50,000-character cap on every tool result, and the cursors that continue a cut result.

A tool result carries its data twice: as `structuredContent` and, for hosts that read only
text, as the same JSON in one text block (the MCP spec's advice). The cap applies to the whole
serialised `CallToolResult`, so each copy gets a little under half of it. A result over the cap
is cut step by step by its own `shrink(ratio)` (lists lose their tail, texts lose whole lines),
and says `truncated` with the argument that continues it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel

MAX_RESULT_CHARS = 50_000
# Room for what the SDK adds around our result (`_meta` with the server's name, resultType).
ENVELOPE_RESERVE = 400
_CURSOR_PREFIX = "kp1."


def to_call_result(model: BaseModel) -> CallToolResult:
    data = model.model_dump(mode="json")
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def result_chars(result: CallToolResult) -> int:
    """The size the cap is about: the serialised tool result, in characters."""
    return len(result.model_dump_json(by_alias=True, exclude_none=True))


def fit(model: BaseModel, limit: int = MAX_RESULT_CHARS) -> CallToolResult:
    """The model as a tool result of at most `limit` characters, cut by its `shrink`."""
    target = max(limit - ENVELOPE_RESERVE, 1)
    for _ in range(100):
        result = to_call_result(model)
        size = result_chars(result)
        if size <= target:
            return result
        shrink = getattr(model, "shrink", None)
        if shrink is None or not shrink(target / size):
            break
    raise ToolError(f"RESOURCE_EXHAUSTED: the answer does not fit in {limit:,} characters "
                    "even cut down; narrow the request (a path filter, a smaller page)")


def keep_count(length: int, ratio: float) -> int:
    """How many list items to keep so the list shrinks to about `ratio`; always fewer."""
    return max(0, min(length - 1, int(length * ratio * 0.95)))


def cut_lines(text: str, ratio: float) -> str:
    """A prefix of `text` about `ratio` of its length, ending at a line end when one is near."""
    target = int(len(text) * ratio * 0.95)
    if target <= 0:
        return ""
    cut = text.rfind("\n", 0, target) + 1
    return text[:cut] if cut > 0 else text[:target]


def encode_cursor(**fields: Any) -> str:
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, argument: str = "page_token") -> dict[str, Any]:
    """A cursor this bridge made; anything else is the caller's mistake, said plainly."""
    problem = ToolError(f"INVALID_ARGUMENT: {argument} is not one this tool returned; "
                        "omit it to start from the first page")
    if not token.startswith(_CURSOR_PREFIX):
        raise problem
    body = token[len(_CURSOR_PREFIX):]
    try:
        value = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise problem from None
    if not isinstance(value, dict):
        raise problem
    return value
