"""Opaque page tokens (AIP-158).

A token carries the position to resume from and a fingerprint of the request it belongs to,
so a token replayed with a different query is rejected instead of giving a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any, TypeVar

from services.domain.errors import InvalidArgument

T = TypeVar("T", int, str)


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(position: Any, request_fingerprint: str) -> str:
    raw = json.dumps({"p": position, "f": request_fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, request_fingerprint: str, expected: type[T]) -> T | None:
    """The position stored in `token` (an `expected` value), or None for an empty token."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position, owner = data["p"], data["f"]
        if not isinstance(position, expected) or (isinstance(position, int) and position < 0):
            raise ValueError(position)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise InvalidArgument("page_token is not a token this server issued",
                              reason="BAD_PAGE_TOKEN", metadata={"field": "page_token"}) from None
    if owner != request_fingerprint:
        raise InvalidArgument("page_token belongs to a different request; repeat the request "
                              "that returned it, with the same query and filters",
                              reason="BAD_PAGE_TOKEN", metadata={"field": "page_token"})
    return position
