"""The docs index's reader: workspace text files served page by page from an LRU cache.

`DocReader` keeps up to `cache_size_limit` files (default 10,000 as in ADR 008) and a
character budget, so 10,000 large files cannot fill the memory. It reads any text file inside
the root, not only indexed ones: other providers of the search chain name code files too. It
refuses paths that leave the root, secret-looking names and version-control folders; text is
decoded and checked for credentials by `source_text.read_text`, as the ingestor does.
"""

from __future__ import annotations

import os
import stat
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from services.mcp_bridge.docs_errors import DocAccessDenied, DocNotFound, DocPathError
from services.mcp_bridge.docs_results import DocText, json_chars
from services.workspace_files.policy import SECRET_NAMES
from services.workspace_files.read import read_bytes
from services.workspace_files.source_text import Refusal, read_text

VCS_DIR_NAMES = frozenset({".git", ".hg", ".svn", ".bzr"})  # never read inside

# An mtime this close to "now" may still change within the same clock tick. Filesystems with
# whole-second timestamps (their mtimes have no sub-second part) need a wider window.
_RACY_FINE_NS = 20_000_000
_RACY_COARSE_NS = 2_000_000_000


def trusted_mtime(mtime_ns: int, observed_ns: int) -> int | None:
    """`mtime_ns`, or None when it is so recent that a write within the same clock tick would
    leave it unchanged (then the file is looked at again next time: git's "racy clean")."""
    coarse = mtime_ns % 1_000_000_000 == 0
    window = _RACY_COARSE_NS if coarse else _RACY_FINE_NS
    return None if mtime_ns >= observed_ns - window else mtime_ns


@dataclass(slots=True)
class _Cached:
    mtime_ns: int
    size: int
    text: str


class DocReader:
    """Confines paths to the root and serves file text through the LRU cache. Not locked:
    the docs index calls it under its own lock."""

    def __init__(self, root: Path, max_file_bytes: int, cache_size_limit: int,
                 cache_max_chars: int) -> None:
        self.root = root  # as given
        self.real_root = ""  # the real root with a trailing separator, set by the index
        self.max_file_bytes = max_file_bytes
        self.cache_size_limit = cache_size_limit
        self.cache_max_chars = cache_max_chars
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self.cached_chars = 0

    def cached_paths(self) -> list[str]:
        """The paths in the cache, least recently used first."""
        return list(self._cache)

    def cached(self, rel: str, mtime_ns: int | None, size: int) -> str | None:
        """The cached text of `rel` if it was cached at this mtime and size (no lstat())."""
        cached = self._cache.get(rel)
        if cached is None or (cached.mtime_ns, cached.size) != (mtime_ns, size):
            return None
        self._cache.move_to_end(rel)
        return cached.text

    def confined(self, path: str) -> str:
        """The real, root-relative path of `path`, or an error if it may not be read."""
        if not isinstance(path, str) or not path.strip():
            raise DocPathError("path must be a non-empty workspace-relative path")
        if "\0" in path:
            raise DocPathError("path contains a NUL character")
        if "\\" in path:
            raise DocPathError("use '/' to separate folders")
        if os.path.isabs(path):  # agents send absolute paths: fine when inside the root
            path = self._below_root(path)
        parts = [part for part in path.split("/") if part not in ("", ".")]
        if ".." in parts:
            raise DocPathError("path must not contain '..'")
        if not parts:
            raise DocPathError("path names the workspace root, not a file")
        root = self.real_root
        real = os.path.realpath(root + "/".join(parts))
        if not real.startswith(root):
            raise DocAccessDenied(f"{path} leads outside the workspace")
        rel = real[len(root):]
        names = rel.split(os.sep)
        if VCS_DIR_NAMES.intersection(names[:-1]) or SECRET_NAMES.match(names[-1]):
            raise DocAccessDenied(f"{path} is a version-control or secret-looking file")
        return rel.replace(os.sep, "/")

    def _below_root(self, path: str) -> str:
        """What follows the root (as given, or real) in an absolute path; the caller checks
        it as any relative path, and the real path it leads to must still lie in the root."""
        for base in dict.fromkeys((os.path.abspath(self.root), self.real_root)):
            base = base.rstrip(os.sep) + os.sep
            if path.startswith(base):
                return path[len(base):]
        raise DocPathError("an absolute path must lie inside the workspace; give the path "
                           "relative to the workspace root")

    def content(self, rel: str) -> str:
        """The text of a root-relative file, from the LRU cache when unchanged."""
        path = self.real_root + rel
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise DocNotFound(f"{rel} does not exist") from None
        if not stat.S_ISREG(st.st_mode):
            raise DocPathError(f"{rel} is not a regular file")
        cached = self.cached(rel, st.st_mtime_ns, st.st_size)
        if cached is not None:
            return cached
        if st.st_size > self.max_file_bytes:
            raise DocPathError(f"{rel} is larger than {self.max_file_bytes} bytes",
                               reason="DOC_TOO_LARGE")
        source = read_text(read_bytes(path, self.max_file_bytes))
        if source is Refusal.BINARY:
            raise DocPathError(f"{rel} is a binary file", reason="DOC_NOT_TEXT")
        if source is Refusal.SECRET_CONTENT:
            raise DocAccessDenied(f"{rel} holds a private key or an access token")
        text = source.text
        self.uncache(rel)
        # Not cached: a file too recent to trust (it may change within the same mtime), or one
        # larger than the whole budget (it would only push out everything else).
        if len(text) <= self.cache_max_chars \
                and trusted_mtime(st.st_mtime_ns, time.time_ns()) is not None:
            self._cache[rel] = _Cached(st.st_mtime_ns, st.st_size, text)
            self.cached_chars += len(text)
            self._evict()
        return text

    def _evict(self) -> None:
        """The ADR's _ensure_cache_size_limit, with a character budget as well."""
        while self._cache and (len(self._cache) > self.cache_size_limit
                               or self.cached_chars > self.cache_max_chars):
            _, dropped = self._cache.popitem(last=False)
            self.cached_chars -= len(dropped.text)

    def uncache(self, rel: str) -> None:
        dropped = self._cache.pop(rel, None)
        if dropped is not None:
            self.cached_chars -= len(dropped.text)


def lines_from(text: str, start_line: int, max_chars: int) -> DocText:
    """Whole lines of `text` from `start_line` (1-based) up to `max_chars` characters measured
    as JSON; a single line longer than that is cut, and reading goes on at the next line."""
    pos = 0
    for _ in range(start_line - 1):
        pos = text.find("\n", pos) + 1
        if pos == 0:  # the file has fewer lines
            return DocText("", False, None)
    if pos >= len(text):
        return DocText("", False, None)
    out: list[str] = []
    used, line = 0, start_line
    while pos < len(text):
        end = text.find("\n", pos) + 1 or len(text)
        piece = text[pos:end]
        cost = json_chars(piece) - 2  # without the quotes
        if used + cost > max_chars:
            if out:
                return DocText("".join(out), True, line)
            return DocText(_cut_to(piece, max_chars), True, line + 1 if end < len(text) else None)
        out.append(piece)
        used += cost
        pos, line = end, line + 1
    return DocText("".join(out), False, None)


def _cut_to(text: str, max_chars: int) -> str:
    """The longest-ish prefix of `text` whose JSON form fits in `max_chars`."""
    piece = text[:max_chars]
    while (cost := json_chars(piece) - 2) > max_chars:
        piece = piece[:len(piece) * max_chars // cost]
    return piece
