"""Workspace paths from requests: normalised, confined to the workspace, checked on disk.

A request's path only ever names an entry of the index: retrieval reads no file. The one
look at the disk is a `stat` for the stale flag, and it happens only after the path, with
every symlink resolved, is known to lie inside the workspace root, so neither a crafted path
nor a symlink planted after indexing makes the service touch anything outside it.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from urllib.parse import unquote

from services.domain.errors import InvalidArgument
from services.domain.models import FileRecord

_FIELD = {"field": "path"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_ESCAPED_BYTE = re.compile(r"\\x([0-9a-fA-F]{2})")


def _reject(message: str) -> InvalidArgument:
    return InvalidArgument(message, reason="BAD_PATH", metadata=_FIELD)


def _check_form(path: str, how: str) -> None:
    if "\0" in path:
        raise _reject(f"path contains a NUL byte{how}")
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        raise _reject(f"path must be relative to the workspace, not absolute{how}")
    if ".." in re.split(r"[/\\]", path):
        raise _reject(f"path must not contain '..' segments{how}")


def normalise(raw: str) -> str:
    """The workspace-relative, '/'-separated form of a requested path.

    Raises InvalidArgument for a NUL byte, an absolute path, a `..` segment, and for the same
    tricks hidden by percent-encoding (even repeated) or by Unicode look-alikes (NFKC).
    `./`, repeated and trailing slashes are dropped.
    """
    _check_form(path := raw, "")
    decoded = raw
    for _ in range(3):  # %252e%252e is %2e%2e is ..
        decoded = unquote(decoded, errors="replace")
    if decoded != raw:
        _check_form(decoded, " (after percent-decoding)")
    folded = unicodedata.normalize("NFKC", decoded)
    if folded != decoded:
        _check_form(folded, " (after Unicode normalisation)")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if not parts:
        raise _reject("path names no file")
    return "/".join(parts)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class DiskCheck:
    """Compares indexed files with what is on disk now, without leaving the workspace."""

    def __init__(self, root: str) -> None:
        self._root = os.path.realpath(root) if root else ""

    def stale(self, record: FileRecord) -> bool:
        """True when the file is gone, changed (size or mtime) or now resolves outside the
        workspace, as of this call."""
        if not self._root:
            return True
        for name in _on_disk_names(record.path):
            real = os.path.realpath(os.path.join(self._root, name))
            if not _within(real, self._root):
                return True  # a symlink out of the workspace: not looked at
            try:
                st = os.stat(real)
            except OSError:
                continue
            return not (stat.S_ISREG(st.st_mode) and st.st_size == record.size_bytes
                        and st.st_mtime_ns == record.mtime_ns)
        return True


def _on_disk_names(path: str) -> list[str]:
    """The names `path` may have on disk: itself, and for a name that was not valid UTF-8
    (shown with `\\xNN` escapes by the scan) the original bytes."""
    names = [path]
    if "\\x" in path:
        # os.fsdecode keeps an undecodable byte b as the lone surrogate U+DC00 + b.
        names.append(_ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m[1], 16)), path))
    return names
