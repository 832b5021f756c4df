"""A file's bytes as the text that gets indexed, or why it may not be: the one place where
content is decoded and checked for credentials, for the ingestor (`read.read_source`) and the
MCP bridge's docs index alike.

The credential check runs on the decoded text, never on the raw bytes: in UTF-16 or UTF-32 the
characters of a token are not adjacent bytes, so a byte-level check would let through exactly
the files it must stop. Decoding and checking in one function keeps a caller from indexing text
decoded one way after checking text decoded another.

What is accepted as text:

* UTF-8, with or without a byte order mark (the mark is dropped); bytes that are not valid
  UTF-8 (Latin-1 and the like) become U+FFFD and the text says so in `encoding_note`.
* UTF-32 and UTF-16, big or little endian, with a byte order mark (PowerShell 5's `>` writes
  UTF-16 LE with one), unless the text holds a NUL character.
* UTF-16 without a byte order mark, when the first 8 KB look like it: NUL bytes on one side of
  each pair only, on at least half the pairs, and the whole decodes to text without control
  characters. Anything else with a NUL byte in the first 8 KB is binary (git's heuristic).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import StrEnum

from services.workspace_files.secret_shapes import holds_secret

BINARY_SNIFF_BYTES = 8192  # git's heuristic too: a NUL in the first 8 KB means binary

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
         (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"))

# A NUL code unit means binary in any encoding. Without a byte order mark to go by, UTF-16 is
# a guess, and then any C0 control (or DEL) but tab, line feed, vertical tab, form feed and
# carriage return also says "not text".
_NUL = re.compile("\0")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SourceText:
    data: bytes  # exactly what was read: hash this
    text: str
    encoding_note: str = ""  # empty unless decoding lost or converted something


class Refusal(StrEnum):
    """Why bytes are not indexed as text (the values are `policy.SkipReason`'s too)."""

    BINARY = "binary file"
    SECRET_CONTENT = "holds a private key or an access token"


def read_text(data: bytes, *, skip_secrets: bool = True) -> SourceText | Refusal:
    """The text to index from a file's bytes, or why there is none."""
    source = _decode(data)
    if source is None:
        return Refusal.BINARY
    if skip_secrets and holds_secret(source.text):
        return Refusal.SECRET_CONTENT
    return source


def _decode(data: bytes) -> SourceText | None:
    """Text from bytes; None when the content is binary. Private: nothing may decode without
    the credential check that `read_text` adds."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            # Checked before the NUL test: UTF-16 and UTF-32 text is full of NUL bytes.
            return _strict(data, data[len(bom):], codec, f"decoded from {name}", _NUL)
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        codec = _utf16_without_bom(data)
        return None if codec is None else _strict(
            data, data, codec, "decoded from UTF-16 without a byte order mark", _CONTROL)
    try:
        return SourceText(data, data.decode("utf-8-sig"))  # -sig: drop a UTF-8 BOM
    except UnicodeDecodeError:
        return SourceText(data, data.decode("utf-8-sig", errors="replace"),
                          "not valid UTF-8; undecodable bytes replaced")


def _strict(data: bytes, body: bytes, codec: str, note: str,
            not_text: re.Pattern[str]) -> SourceText | None:
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:  # a lone surrogate, a cut code unit: not text in that encoding
        return None
    return None if not_text.search(text) else SourceText(data, text, note)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the sniffed bytes look like mostly-Latin UTF-16 text."""
    if len(data) % 2:
        return None
    sample = data[:BINARY_SNIFF_BYTES]
    even, odd = sample[0::2], sample[1::2]
    pairs = len(odd)
    if b"\0" not in even and odd.count(0) * 2 >= pairs:
        return "utf-16-le"
    if b"\0" not in odd and even.count(0) * 2 >= pairs:
        return "utf-16-be"
    return None
