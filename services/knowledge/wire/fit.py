"""Building responses to a byte budget: UTF-8-safe cuts and exact serialised sizes.

Every KnowledgeService response is assembled here piece by piece while measuring what each
piece adds to the serialised message, so it fits the budget by construction; the interceptor
(services/rpc/response_cap.py) only stands behind it. Text is cut at a line end when one is near,
otherwise between characters (never inside a UTF-8 sequence, and never between a character
and the combining marks, variation selectors or joiners that belong to it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

# The last few hundred bytes of every budget are kept free for what is added after the lists
# are filled (a page token, a notice), so the filled lists never need to be cut again.
RESERVE_BYTES = 256


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """`text` as valid UTF-8: each lone surrogate (an undecodable byte) becomes one U+FFFD,
    so character offsets (GetFileContext's columns) stay the same."""
    if text.isascii():  # a flag CPython keeps: no scan
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def varint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def field_size(payload: int) -> int:
    """Bytes one length-delimited field (string or message) of `payload` bytes takes in its
    parent, for field numbers below 16 (one-byte tags), which is all this contract uses."""
    return 1 + varint_size(payload) + payload


def entry_size(message: Message) -> int:
    """Bytes `message` adds as one more entry of a repeated message field."""
    return field_size(message.ByteSize())


def _attached(char: str) -> bool:
    """True for a character that belongs to the one before it (so no cut goes between)."""
    code = ord(char)
    return (code == 0x200D or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F or unicodedata.combining(char) != 0)


def prefix_within(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` of at most `max_bytes` UTF-8 bytes that ends between two
    characters (and not before a combining mark, joiner or variation selector)."""
    if max_bytes <= 0:
        return ""
    # A prefix of n characters has at least n bytes, so looking at max_bytes characters is
    # enough; slicing first keeps this cheap on a 5 MB text.
    head = text[:max_bytes]
    encoded = head.encode("utf-8")
    # Decoding with "ignore" drops a character whose bytes were cut.
    cut = head if len(encoded) <= max_bytes else encoded[:max_bytes].decode("utf-8", "ignore")
    end = len(cut)
    while end > 0:
        if end < len(text) and _attached(text[end]):
            end -= 1  # what follows belongs to the last character: drop that one too
        elif text[end - 1] == "\u200d":
            end -= 1  # a joiner links the last character to the next: drop both
        else:
            break
    return cut[:end]


def suffix_within(text: str, max_bytes: int) -> str:
    """The longest suffix of `text` of at most `max_bytes` UTF-8 bytes that does not start
    with a combining mark, joiner or variation selector (the mirror of prefix_within)."""
    tail = text[len(text) - max_bytes:] if 0 < max_bytes < len(text) else text
    if max_bytes <= 0:
        return ""
    while (over := utf8_size(tail) - max_bytes) > 0:
        tail = tail[(over + 3) // 4:]  # a character has at most 4 bytes: never too many
    # Where the tail starts in `text`: the character before it may be a joiner too.
    start = len(text) - len(tail)
    while start < len(text) and (_attached(text[start]) or text[start - 1:start] == "\u200d"):
        start += 1
    return text[start:]


def cut_text(text: str, max_bytes: int, *, at_line: bool = True) -> tuple[str, bool]:
    """(a prefix of `text` within `max_bytes`, whether anything was cut).

    With `at_line`, the cut goes after the last line end in the allowance when that keeps at
    least half of it; a text whose first line alone is too long is cut between characters.
    """
    if max_bytes >= len(text) * 4 or utf8_size(text) <= max_bytes:
        return text, False
    prefix = prefix_within(text, max_bytes)
    if at_line:
        newline = prefix.rfind("\n")
        if newline >= 0 and utf8_size(prefix[:newline + 1]) * 2 >= max_bytes:
            prefix = prefix[:newline + 1]
    return prefix, True


def cut_field(text: str, max_bytes: int) -> tuple[str, bool]:
    """A free-text field (description, summary) cut between characters, marked with "…"."""
    text = safe_text(text)
    if utf8_size(text) <= max_bytes:
        return text, False
    return prefix_within(text, max(max_bytes - 3, 0)).rstrip() + "…", True


@dataclass
class Room:
    """What is left of a budget while a response is filled."""

    left: int

    def take(self, size: int) -> bool:
        """Spend `size` bytes if they fit; False (and nothing spent) otherwise."""
        if size > self.left:
            return False
        self.left -= size
        return True


T = TypeVar("T")


def fill(room: Room, items: Iterable[T], make: Callable[[T], Message | None],
         limit: int | None = None) -> tuple[list[Message], bool]:
    """Messages made from `items`, in order, while their entries fit `room` (and `limit`).

    Returns the messages and whether any item was left out. `make` may return None to skip
    an item on purpose (not counted as left out).
    """
    added: list[Message] = []
    for item in items:
        if limit is not None and len(added) >= limit:
            return added, True
        message = make(item)
        if message is None:
            continue
        if not room.take(entry_size(message)):
            return added, True
        added.append(message)
    return added, False


def shares(total: int, weights: Sequence[float]) -> list[int]:
    """`total` bytes split by `weights` (whole bytes, never more than `total` together)."""
    weight_sum = sum(weights) or 1.0
    return [int(total * w / weight_sum) for w in weights]
