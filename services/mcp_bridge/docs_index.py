"""The local docs index (ADR 008's IndexEngine): an in-process inverted index over the
workspace's documentation, for the MCP bridge's `search_docs` and `read_doc` tools. This module
walks the workspace and keeps the index up to date; the postings and their BM25 scoring are
`docs_postings`'s, the LRU reader is `docs_reader`'s.

Files are chosen by globs in .gitignore syntax, the same syntax as the ingestor's include globs:
a pattern without a slash (`*.md`) matches at any depth, like the ADR's recursive
`index_directory`; a pattern with a slash is anchored at the root (`docs/**/*.md` matches only
under docs/). Which files count is the ingestor's policy, applied by the same walk
(`services.workspace_files`): folders skipped by default (.git, node_modules, .venv, build,
...), secret-looking names, binary files, files holding a private key or an access token and
files over `max_file_bytes` (10 MB) are not indexed, and text is decoded and checked for
credentials by `source_text.read_text`, so a UTF-16 file is searched as text and a token in it
is found. Unlike the ingestor, the docs index reads no .gitignore files and indexes no
symlinks.

The index is built lazily on the first search. Every later search first runs `refresh()`, at
most once per `min_refresh_interval`: it lstat()s every known folder and file, re-lists only
folders whose mtime changed (that is how new and deleted files show up), re-tokenises only
files whose mtime or size changed, and drops deleted ones. An mtime too recent to trust (the
file may change again within the same clock tick) is remembered as unknown, so the file is
looked at again next time (git's "racy clean" rule).

Every method takes one lock, so the index may be called from worker threads (it does file I/O).

What a query means and where it matches in a text is `docs_query`'s; the result types and the
budget they fit are `docs_results`'s; the errors are `docs_errors`'s.
"""

from __future__ import annotations

import math
import os
import stat
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.mcp_bridge.docs_errors import DocsArgumentError
from services.mcp_bridge.docs_postings import Postings
from services.mcp_bridge.docs_query import Locator, Mode, parse_query
from services.mcp_bridge.docs_reader import DocReader, lines_from, trusted_mtime
from services.mcp_bridge.docs_results import (
    DEFAULT_LIMIT,
    RESULT_BUDGET_CHARS,
    DocHit,
    DocsResult,
    DocText,
    IndexStats,
    RefreshReport,
    fitting_hits,
    page_bounds,
)
from services.workspace_files.policy import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_SKIP_DIR_NAMES,
    ScannedFile,
    ScanRules,
    SkipReason,
)
from services.workspace_files.read import NotRegularFile, read_bytes
from services.workspace_files.source_text import Refusal, read_text
from services.workspace_files.walk import Walk

DEFAULT_PATTERNS = ("**/*.md", "**/*.rst", "**/*.txt")
DEFAULT_CACHE_FILES = 10_000  # the ADR's cache_size_limit
DEFAULT_CACHE_CHARS = 64 * 1024 * 1024

# Files the walk declines that the index still records, as skipped with a reason and looked
# at again when they change (a binary extension is judged by the bytes, as before the walk
# was shared).
_RECORDED = frozenset({SkipReason.TOO_LARGE, SkipReason.UNREADABLE, SkipReason.BINARY})


@dataclass(slots=True)
class _File:
    """What the index knows of one file matched by the patterns."""

    mtime_ns: int | None  # None: too recent to trust, look again at the next refresh
    size: int
    doc: int | None  # the file's id, or None when it is skipped
    skipped: str | None = None


@dataclass
class _Changes:
    added: int = 0
    changed: int = 0
    removed: int = 0
    # (path, (mtime_ns, size) as the walk saw them, or None to lstat() again)
    new_paths: list[tuple[str, tuple[int, int] | None]] = field(default_factory=list)


class DocsIndex:
    """An inverted index over the files under `root` matched by `patterns` (.gitignore syntax).

    Nothing touches the disk until the first `search`, `refresh`, `read` or `stats`.
    """

    def __init__(self, root: Path | str, patterns: Sequence[str] = DEFAULT_PATTERNS, *,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 cache_size_limit: int = DEFAULT_CACHE_FILES,
                 cache_max_chars: int = DEFAULT_CACHE_CHARS,
                 min_refresh_interval: float = 0.5,
                 skip_dir_names: Sequence[str] = DEFAULT_SKIP_DIR_NAMES) -> None:
        patterns = tuple(patterns)
        if not patterns:
            raise ValueError("at least one file pattern is needed")
        # The ingestor's rules, which validate globs and the size limit as for an ingest.
        self._rules = ScanRules(include_globs=patterns, max_file_bytes=max_file_bytes,
                                skip_dir_names=tuple(skip_dir_names), ignore_file_names=(),
                                index_symlinks=False)
        if cache_size_limit < 0 or cache_max_chars < 0 or min_refresh_interval < 0:
            raise ValueError("cache limits and the refresh interval must not be negative")
        self.root = Path(root)
        self.patterns = patterns
        self.max_file_bytes = max_file_bytes
        self.cache_size_limit = cache_size_limit
        self.cache_max_chars = cache_max_chars
        self.min_refresh_interval = min_refresh_interval
        self._root = ""  # the real root path with a trailing separator, set by the first build
        self._root_fd: int | None = None  # the root, open, where lstat() takes a dir_fd
        self._prefix = ""  # what makes a root-relative path one for lstat(dir_fd=_root_fd)
        self._close_root_fd: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._built = False
        self._last_refresh = -math.inf
        self._index = Postings()
        self._reader = DocReader(self.root, max_file_bytes, cache_size_limit, cache_max_chars)
        self._files: dict[str, _File] = {}  # path -> state, for every file the patterns match
        self._dirs: dict[str, int | None] = {}  # '' or 'a/b/' -> mtime_ns (None: look again)

    # --- public API ----------------------------------------------------------------------------

    def search(self, query: str, mode: str | None = None, limit: int = DEFAULT_LIMIT,
               offset: int = 0) -> DocsResult:
        """Files matching `query`, best first (BM25; ties by path), one page at a time."""
        parsed = parse_query(query, mode)
        limit, offset = page_bounds(limit, offset)
        with self._lock:
            self._refresh_if_due()
            docs, word_ids = self._index.match(parsed)
            page = self._index.top(docs, word_ids, offset + limit)[offset:]
            locator = Locator(parsed)
            hits = [self._hit(doc, score, locator) for score, doc in page]
        fits = fitting_hits(hits)
        more = offset + fits < len(docs)
        return DocsResult(query=query, mode=parsed.mode.value,
                          terms=parsed.words if parsed.mode is Mode.PHRASE else parsed.terms,
                          ignored=parsed.ignored, total=len(docs), offset=offset,
                          hits=tuple(hits[:fits]), truncated=more,
                          next_offset=offset + fits if more else None)

    def paths(self) -> list[str]:
        """Every indexed file's path, sorted (the index is brought up to date first)."""
        with self._lock:
            self._refresh_if_due()
            return sorted(path for path in self._index.paths if path)

    def refresh(self) -> RefreshReport:
        """Bring the index up to date with the disk now (the first call builds it)."""
        with self._lock:
            return self._refresh()

    def read(self, path: str, start_line: int = 1,
             max_chars: int = RESULT_BUDGET_CHARS) -> DocText:
        """Whole lines of a workspace text file from `start_line` (1-based), up to `max_chars`
        characters measured as JSON. A single line longer than that is cut, and reading goes
        on at the next line."""
        if isinstance(start_line, bool) or not isinstance(start_line, int) or start_line < 1:
            raise DocsArgumentError(f"start_line must be 1 or more, not {start_line!r}")
        if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
            raise DocsArgumentError(f"max_chars must be a positive number, not {max_chars!r}")
        max_chars = min(max_chars, RESULT_BUDGET_CHARS)
        with self._lock:
            self._ensure_root()
            text = self._reader.content(self._reader.confined(path))
        return lines_from(text, start_line, max_chars)

    def relative_path(self, path: str) -> str:
        """The workspace-relative path `read(path)` reads (for an absolute or `./` path)."""
        with self._lock:
            self._ensure_root()
            return self._reader.confined(path)

    def close(self) -> None:
        """Close the root folder the index holds open (also done when it is collected)."""
        with self._lock:
            self._close_root_fd()
            self._root_fd, self._prefix = None, self._root

    def cached_paths(self) -> list[str]:
        """The paths in the content cache, least recently used first."""
        with self._lock:
            return self._reader.cached_paths()

    def stats(self) -> IndexStats:
        with self._lock:
            if not self._built:
                self._refresh()
            skipped = Counter(f.skipped for f in self._files.values() if f.skipped)
            index = self._index
            return IndexStats(
                files=index.live_docs, skipped=dict(skipped), folders=len(self._dirs),
                words=index.words, postings=index.posting_count(), tokens=index.total_tokens,
                cached_files=len(self._reader.cached_paths()),
                cached_chars=self._reader.cached_chars)

    # --- refresh -------------------------------------------------------------------------------

    def _refresh_if_due(self) -> None:
        if not self._built or time.monotonic() - self._last_refresh >= self.min_refresh_interval:
            self._refresh()

    def _refresh(self) -> RefreshReport:
        started = time.perf_counter()
        first = not self._built
        observed = time.time_ns()
        changes = _Changes()
        if first:
            self._ensure_root()
            self._walk([""], observed, changes)
        else:
            self._update(observed, changes)
        for rel, seen in changes.new_paths:
            self._index_path(rel, observed, seen)
            changes.added += self._is_indexed(rel)
        if first or changes.added or changes.changed or changes.removed:
            self._index.update_norms()
        self._built = True
        self._last_refresh = time.monotonic()
        return RefreshReport(seconds=time.perf_counter() - started,
                             files_checked=0 if first else len(self._files),
                             added=changes.added, changed=changes.changed,
                             removed=changes.removed, built=first)

    def _update(self, observed: int, changes: _Changes) -> None:
        """Re-list changed folders, re-index changed files, drop vanished ones."""
        # Folders first: a new or deleted file changes its folder's mtime, so only changed
        # folders are listed again. A vanished folder takes its files with it, even if its
        # name now leads elsewhere (a symlink put in its place is never followed).
        relist = []
        dirs = list(self._dirs.items())
        # No trailing "/" for lstat(): with one, a folder swapped for a symlink is followed.
        for (rel_dir, mtime), st in zip(
                dirs, map(self._lstat, (d.rstrip("/") for d, _ in dirs)), strict=True):
            if st is not None and stat.S_ISDIR(st.st_mode):
                if st.st_mtime_ns != mtime:
                    relist.append(rel_dir)
            elif rel_dir in self._dirs:  # not yet forgotten with a vanished ancestor
                self._forget_tree(rel_dir, changes)
        # Only folders still known: one below a vanished folder is reached through it.
        self._walk([d for d in relist if d in self._dirs], observed, changes)
        for rel, st in self._changed_files():
            was_indexed = self._is_indexed(rel)
            self._drop_file(rel)
            if st is None or not stat.S_ISREG(st.st_mode):
                changes.removed += was_indexed
            else:
                self._index_path(rel, observed, (st.st_mtime_ns, st.st_size))
                changes.changed += was_indexed or self._is_indexed(rel)

    def _ensure_root(self) -> None:
        if self._root:
            return
        real = os.path.realpath(self.root)
        if not os.path.isdir(real):
            raise NotADirectoryError(f"docs root {self.root} is not a directory")
        self._root = real.rstrip(os.sep) + os.sep
        self._prefix = self._root
        self._reader.real_root = self._root
        if os.lstat in os.supports_dir_fd:
            self._root_fd = os.open(real, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            self._close_root_fd = weakref.finalize(self, os.close, self._root_fd)
            self._prefix = ""

    def _lstat(self, rel: str) -> os.stat_result | None:
        try:
            return os.lstat(self._prefix + (rel or "."), dir_fd=self._root_fd)
        except OSError:
            return None

    def _changed_files(self) -> list[tuple[str, os.stat_result | None]]:
        """The known files whose lstat() differs from what was indexed (None: gone).

        With 10,000 files this loop is nearly all of a refresh, and most of it is the system
        calls (~3 µs each on a VM), hence one tight loop, and paths relative to the open root
        folder, which spare the kernel walking the root's own path each time."""
        lstat, fd, prefix, changed = os.lstat, self._root_fd, self._prefix, []
        for rel, known in self._files.items():
            try:
                st = lstat(prefix + rel, dir_fd=fd)
            except OSError:
                changed.append((rel, None))
                continue
            if st.st_mtime_ns != known.mtime_ns or st.st_size != known.size:
                changed.append((rel, st))
        return changed

    def _is_indexed(self, rel: str) -> bool:
        known = self._files.get(rel)
        return known is not None and known.doc is not None

    def _forget_tree(self, rel_dir: str, changes: _Changes) -> None:
        """Forget a vanished folder, the folders under it and their files."""
        for gone in [d for d in self._dirs if d.startswith(rel_dir)]:
            del self._dirs[gone]
        for rel in [p for p in self._files if p.startswith(rel_dir)]:
            changes.removed += self._is_indexed(rel)

    def _walk(self, start: list[str], observed: int, changes: _Changes) -> None:
        """List `start` folders and, below them, every folder not listed before; new files
        matched by the patterns go to `changes.new_paths`."""
        def listed(rel_dir: str, mtime_ns: int) -> None:
            self._dirs[rel_dir] = trusted_mtime(mtime_ns, observed)

        def known(rel: str) -> bool:
            return rel in (self._dirs if rel.endswith("/") else self._files)

        if not start:
            return
        new, cut = changes.new_paths, len(self._root)
        try:
            for item in Walk(self._root, self._rules, known=known, listed=listed).run(start):
                if isinstance(item, ScannedFile):  # its on-disk name, as the index opens it
                    new.append((str(item.abs_path)[cut:], (item.mtime_ns, item.size_bytes)))
                elif item.reason in _RECORDED:
                    new.append((item.path, None))
        except OSError:  # the root itself vanished or cannot be listed: nothing new
            pass

    # --- indexing ------------------------------------------------------------------------------

    def _index_path(self, rel: str, observed: int, seen: tuple[int, int] | None) -> None:
        """Index a file, or record why not; `seen` is its (mtime_ns, size) if known."""
        path = self._root + rel
        try:
            if seen is None:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    return
                seen = (st.st_mtime_ns, st.st_size)
            mtime, size = trusted_mtime(seen[0], observed), seen[1]
            if size > self.max_file_bytes:
                self._files[rel] = _File(mtime, size, None, SkipReason.TOO_LARGE.value)
                return
            data = read_bytes(path, self.max_file_bytes)
        except (FileNotFoundError, NotRegularFile):
            return
        except OSError:
            self._files[rel] = _File(None, -1, None, SkipReason.UNREADABLE.value)  # -1: retried
            return
        # Decoded and checked for credentials exactly as the ingestor does (source_text).
        source = read_text(data)
        if isinstance(source, Refusal):
            self._files[rel] = _File(mtime, size, None, source.value)
            return
        self._files[rel] = _File(mtime, size, self._index.add(rel, source.text))

    def _drop_file(self, rel: str) -> None:
        known = self._files.pop(rel)
        self._reader.uncache(rel)
        if known.doc is not None:
            self._index.drop(known.doc)

    def _hit(self, doc: int, score: float, locator: Locator) -> DocHit:
        path = self._index.paths[doc]
        known = self._files[path]
        # As indexed at the last refresh: no lstat() needed (one per hit adds up).
        text = self._reader.cached(path, known.mtime_ns, known.size)
        if text is None:
            try:
                text = self._reader.content(path)
            except (OSError, DocsArgumentError):  # changed since the last refresh: no snippet
                return DocHit(path, round(score, 4), 1, "")
        line, snippet = locator.snippet(text)
        return DocHit(path, round(score, 4), line, snippet)
