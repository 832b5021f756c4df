"""Workspace paths from requests: normalised, confined to the workspace, checked on disk.

A request's path only ever names an entry of the index: retrieval reads no file. The one
look at the disk is a `stat` for the stale flag, and it happens only after the path, with
every symlink resolved, is known to lie inside the workspace root, so neither a crafted path
nor a symlink planted after indexing makes the service touch anything outside it.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import time
import unicodedata
from collections import OrderedDict
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


def normalise(raw: str, root: str = "") -> str:
    """The workspace-relative, '/'-separated form of a requested path.

    An absolute path is accepted when it lies inside `root` (the workspace root as given, or
    with its symlinks resolved): agents send absolute paths. What follows the root is then
    checked like any relative path, so `..` cannot climb back out, and the result only names
    an index entry (nothing is read through it). Raises InvalidArgument for a NUL byte, an
    absolute path elsewhere, a `..` segment, and for the same tricks hidden by
    percent-encoding (even repeated) or by Unicode look-alikes (NFKC).
    `./`, repeated and trailing slashes are dropped.
    """
    if root and raw.startswith("/") and "\0" not in raw:
        relative = _under(raw, root)
        if relative is None:
            raise _reject("an absolute path must lie inside the workspace; give the path "
                          "relative to the workspace root")
        raw = relative
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


def _under(path: str, root: str) -> str | None:
    """What follows `root` in the absolute `path`, or None when `path` is not below it."""
    for base in dict.fromkeys((root, os.path.realpath(root))):
        base = base.rstrip("/")
        if base and path.startswith(base + "/"):
            return path[len(base) + 1:].lstrip("/")
    return None


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class DiskCheck:
    """Compares indexed files with what is on disk now, without leaving the workspace.

    Answers are remembered for `ttl` seconds (by root, path, and the indexed size and mtime),
    so a busy search service does not resolve and stat the same files on every call.
    """

    _recent: OrderedDict[tuple, tuple[float, bool]] = OrderedDict()
    _folders: OrderedDict[str, tuple[float, str]] = OrderedDict()  # folder -> its real path
    _RECENT_MAX = 4096

    def __init__(self, root: str, ttl: float = 1.0) -> None:
        self._given_root = root
        self._root = ""
        self._ttl = ttl

    def stale(self, record: FileRecord) -> bool:
        """True when the file is gone, changed (size or mtime) or now resolves outside the
        workspace, as of this call (or at most `ttl` seconds before it)."""
        key = (self._given_root, record.path, record.size_bytes, record.mtime_ns)
        now = time.monotonic()
        known = self._recent.get(key)
        if known is not None and now - known[0] < self._ttl:
            return known[1]
        answer = self._check(record)
        self._recent[key] = (now, answer)
        self._recent.move_to_end(key)
        while len(self._recent) > self._RECENT_MAX:
            self._recent.popitem(last=False)
        return answer

    def _check(self, record: FileRecord) -> bool:
        if not self._root and self._given_root:
            self._root = self._real_folder(self._given_root)
        if not self._root:
            return True
        for name in _on_disk_names(record.path):
            folder, base = posixpath.split(name)
            # The folder with every symlink resolved (remembered briefly: hits share folders),
            # then the file itself without following it.
            real_folder = self._real_folder(os.path.join(self._root, folder))
            if not _within(real_folder, self._root):
                return True  # a symlinked folder out of the workspace: not looked into
            target = os.path.join(real_folder, base)
            try:
                st = os.lstat(target)
                if stat.S_ISLNK(st.st_mode):
                    target = os.path.realpath(target)
                    if not _within(target, self._root):
                        return True  # a symlink out of the workspace: not looked at
                    st = os.stat(target)
            except OSError:
                continue
            return not (stat.S_ISREG(st.st_mode) and st.st_size == record.size_bytes
                        and st.st_mtime_ns == record.mtime_ns)
        return True

    def _real_folder(self, folder: str) -> str:
        now = time.monotonic()
        known = self._folders.get(folder)
        if known is not None and now - known[0] < self._ttl:
            return known[1]
        real = os.path.realpath(folder)
        self._folders[folder] = (now, real)
        self._folders.move_to_end(folder)
        while len(self._folders) > self._RECENT_MAX:
            self._folders.popitem(last=False)
        return real


def _on_disk_names(path: str) -> list[str]:
    """The names `path` may have on disk: itself, and for a name that was not valid UTF-8
    (shown with `\\xNN` escapes by the scan) the original bytes."""
    names = [path]
    if "\\x" in path:
        # os.fsdecode keeps an undecodable byte b as the lone surrogate U+DC00 + b.
        names.append(_ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m[1], 16)), path))
    return names
