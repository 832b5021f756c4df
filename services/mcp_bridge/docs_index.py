"""The local docs index (ADR 008's IndexEngine): an in-process inverted index over the
workspace's documentation, for the MCP bridge's `search_docs` and `read_doc` tools.

What it holds, and why in this shape (10,000 files must stay fast and small):

* A vocabulary `word -> id` that numbers new words itself, so a file's words become ids in C.
* Per file, its whole token sequence as packed uint32 ids (`bytes`, 4 bytes a word, stop words
  included). This is the "positions" store: a phrase is found with `bytes.find` of its packed
  ids, so "runtime\\nloop" matches "runtime loop", "state of the art" is matched exactly, and no
  Python object is kept per (word, file) position.
* Postings `word id -> {file id: term frequency}` for every word that is not a stop word; AND is
  a set intersection of the keys, OR a union, and BM25 ranks the matches.

Files are chosen by globs in .gitignore syntax, the same syntax as the ingestor's include globs:
a pattern without a slash (`*.md`) matches at any depth, like the ADR's recursive
`index_directory`; a pattern with a slash is anchored at the root (`docs/**/*.md` matches only
under docs/). Folders the ingestor skips by default (.git, node_modules, .venv, build, ...),
secret-looking names, symlinks (never followed), binary files, files holding a private key or
an access token and files over `max_file_bytes` (10 MB) are not indexed; text is decoded and
checked for credentials by `source_text.read_text`, as the ingestor does, so a UTF-16 file is
searched as text and a token in it is found. .gitignore files are not read.

The index is built lazily on the first search. Every later search first runs `refresh()`, at
most once per `min_refresh_interval`: it lstat()s every known folder and file, re-lists only
folders whose mtime changed (that is how new and deleted files show up), re-tokenises only
files whose mtime or size changed, and drops deleted ones. An mtime too recent to trust (the
file may change again within the same clock tick) is remembered as unknown, so the file is
looked at again next time (git's "racy clean" rule).

`read()` serves file text page by page from an LRU cache (`cache_size_limit` files, default
10,000 as in the ADR, plus a character budget so 10,000 large files cannot fill the memory).
It reads any text file inside the root, not only indexed ones: other providers of the search
chain name code files too. It refuses paths that leave the root, secret-looking names and
version-control folders.

Every method takes one lock, so the index may be called from worker threads (it does file I/O).

What a query means and where it matches in a text is `docs_query`'s; the result types and the
budget they fit are `docs_results`'s; the errors are `docs_errors`'s.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
import re
import stat
import threading
import time
import weakref
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import translate
from operator import add, ge, mul, neg, truediv
from pathlib import Path

from pathspec import GitIgnoreSpec

from services.ingestor.scan import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_SKIP_DIR_NAMES,
    SECRET_NAME_GLOBS,
    ScanRules,
)
from services.ingestor.source_text import Refusal, read_text
from services.mcp_bridge.docs_errors import (
    DocAccessDenied,
    DocNotFound,
    DocPathError,
    DocsArgumentError,
)
from services.mcp_bridge.docs_query import (
    STOP_WORDS,
    Locator,
    Mode,
    ParsedQuery,
    parse_query,
    tokenize,
)
from services.mcp_bridge.docs_results import (
    DEFAULT_LIMIT,
    RESULT_BUDGET_CHARS,
    DocHit,
    DocsResult,
    DocText,
    IndexStats,
    RefreshReport,
    fitting_hits,
    json_chars,
    page_bounds,
)

DEFAULT_PATTERNS = ("**/*.md", "**/*.rst", "**/*.txt")
DEFAULT_CACHE_FILES = 10_000  # the ADR's cache_size_limit
DEFAULT_CACHE_CHARS = 64 * 1024 * 1024
VCS_DIR_NAMES = frozenset({".git", ".hg", ".svn", ".bzr"})  # read() never looks inside

# Okapi BM25, with the same constants as the memory storage adapter's index.
_K1, _B = 1.2, 0.75

# An mtime this close to "now" may still change within the same clock tick. Filesystems with
# whole-second timestamps (their mtimes have no sub-second part) need a wider window.
_RACY_FINE_NS = 20_000_000
_RACY_COARSE_NS = 2_000_000_000

_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


# --- the index ---------------------------------------------------------------------------------

_SKIP_TOO_LARGE = "larger than the size limit"
_SKIP_UNREADABLE = "unreadable"


@dataclass(slots=True)
class _File:
    """What the index knows of one file matched by the patterns."""

    mtime_ns: int | None  # None: too recent to trust, look again at the next refresh
    size: int
    doc: int | None  # the file's id, or None when it is skipped
    skipped: str | None = None


@dataclass(slots=True)
class _Cached:
    mtime_ns: int
    size: int
    text: str


@dataclass
class _Changes:
    added: int = 0
    changed: int = 0
    removed: int = 0
    new_paths: list[str] = field(default_factory=list)


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
        # ScanRules validates globs and the size limit exactly as the ingestor does.
        ScanRules(include_globs=patterns, max_file_bytes=max_file_bytes,
                  skip_dir_names=tuple(skip_dir_names))
        if cache_size_limit < 0 or cache_max_chars < 0 or min_refresh_interval < 0:
            raise ValueError("cache limits and the refresh interval must not be negative")
        self.root = Path(root)
        self.patterns = patterns
        self.max_file_bytes = max_file_bytes
        self.cache_size_limit = cache_size_limit
        self.cache_max_chars = cache_max_chars
        self.min_refresh_interval = min_refresh_interval
        self._spec = GitIgnoreSpec.from_lines(patterns)
        self._skip_dir = _any_name(skip_dir_names, ignore_case=False)
        self._secret = _any_name(SECRET_NAME_GLOBS, ignore_case=True)
        self._root = ""  # the real root path with a trailing separator, set by the first build
        self._root_fd: int | None = None  # the root, open, where lstat() takes a dir_fd
        self._prefix = ""  # what makes a root-relative path one for lstat(dir_fd=_root_fd)
        self._close_root_fd: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._built = False
        self._last_refresh = -math.inf

        # word -> id; looking up a new word gives it the next id (queries use .get(), which
        # does not). Ids are scrambled counts, see _scramble.
        self._vocab: defaultdict[str, int] = defaultdict(
            map(_scramble, itertools.count()).__next__)
        self._stop_ids = frozenset(self._vocab[word] for word in sorted(STOP_WORDS))
        self._postings: dict[int, dict[int, int]] = {}  # word id -> {doc id: term frequency}
        self._files: dict[str, _File] = {}  # path -> state, for every file the patterns match
        self._dirs: dict[str, int | None] = {}  # '' or 'a/b/' -> mtime_ns (None: look again)
        # Per doc id (a list, so hot loops index it from C); a free id has path "".
        self._paths: list[str] = []
        self._seqs: list[bytes] = []  # the file's word ids, packed uint32, stop words included
        self._lengths: list[int] = []
        self._norms: list[float] = []  # BM25 length normalisation, recomputed after changes
        self._free_ids: list[int] = []
        self._live_docs = 0
        self._total_tokens = 0
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cached_chars = 0

    # --- public API ----------------------------------------------------------------------------

    def search(self, query: str, mode: str | None = None, limit: int = DEFAULT_LIMIT,
               offset: int = 0) -> DocsResult:
        """Files matching `query`, best first (BM25; ties by path), one page at a time."""
        parsed = parse_query(query, mode)
        limit, offset = page_bounds(limit, offset)
        with self._lock:
            self._refresh_if_due()
            docs, word_ids = self._match(parsed)
            page = self._top(docs, word_ids, offset + limit)[offset:]
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
            return sorted(path for path in self._paths if path)

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
            rel = self._confined(path)
            text = self._content(rel)
        return _lines_from(text, start_line, max_chars)

    def relative_path(self, path: str) -> str:
        """The workspace-relative path `read(path)` reads (for an absolute or `./` path)."""
        with self._lock:
            self._ensure_root()
            return self._confined(path)

    def close(self) -> None:
        """Close the root folder the index holds open (also done when it is collected)."""
        with self._lock:
            self._close_root_fd()
            self._root_fd, self._prefix = None, self._root

    def cached_paths(self) -> list[str]:
        """The paths in the content cache, least recently used first."""
        with self._lock:
            return list(self._cache)

    def stats(self) -> IndexStats:
        with self._lock:
            if not self._built:
                self._refresh()
            skipped = Counter(f.skipped for f in self._files.values() if f.skipped)
            return IndexStats(
                files=self._live_docs, skipped=dict(skipped), folders=len(self._dirs),
                words=len(self._postings),
                postings=sum(map(len, self._postings.values())),
                tokens=self._total_tokens, cached_files=len(self._cache),
                cached_chars=self._cached_chars)

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
        for rel in changes.new_paths:
            self._index_path(rel, observed)
            changes.added += self._is_indexed(rel)
        if first or changes.added or changes.changed or changes.removed:
            self._update_norms()
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
                self._index_path(rel, observed, st)
                changes.changed += was_indexed or self._is_indexed(rel)

    def _ensure_root(self) -> None:
        if self._root:
            return
        real = os.path.realpath(self.root)
        if not os.path.isdir(real):
            raise NotADirectoryError(f"docs root {self.root} is not a directory")
        self._root = real.rstrip(os.sep) + os.sep
        self._prefix = self._root
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
            self._drop_file(rel)

    def _walk(self, start: list[str], observed: int, changes: _Changes) -> None:
        """List `start` folders and, below them, every folder not listed before; new files
        matched by the patterns go to `changes.new_paths`."""
        stack = list(start)
        while stack:
            rel_dir = stack.pop()
            try:
                # O_NOFOLLOW: a folder swapped for a symlink since it was seen is not listed.
                fd = os.open(self._root + rel_dir.rstrip("/"), _OPEN_DIR)
            except OSError:
                continue
            try:
                mtime = os.fstat(fd).st_mtime_ns  # before listing: a later change shows
                with os.scandir(fd) as listing:
                    for entry in listing:
                        self._visit(rel_dir, entry, stack, changes)
            except OSError:
                continue
            finally:
                os.close(fd)
            self._dirs[rel_dir] = _trusted_mtime(mtime, observed)

    def _visit(self, rel_dir: str, entry: os.DirEntry[str], stack: list[str],
               changes: _Changes) -> None:
        name = entry.name
        try:
            if entry.is_symlink():
                return
            if entry.is_dir(follow_symlinks=False):
                sub = f"{rel_dir}{name}/"
                if not self._skip_dir.match(name) and sub not in self._dirs:
                    stack.append(sub)
                return
        except OSError:
            return
        rel = rel_dir + name
        if rel not in self._files and not self._secret.match(name) and self._spec.match_file(rel):
            changes.new_paths.append(rel)

    # --- indexing ------------------------------------------------------------------------------

    def _index_path(self, rel: str, observed: int, st: os.stat_result | None = None) -> None:
        path = self._root + rel
        try:
            if st is None:
                st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode):
                return
            mtime = _trusted_mtime(st.st_mtime_ns, observed)
            if st.st_size > self.max_file_bytes:
                self._files[rel] = _File(mtime, st.st_size, None, _SKIP_TOO_LARGE)
                return
            data = _read_bytes(path, self.max_file_bytes)
        except FileNotFoundError:
            return
        except OSError:
            self._files[rel] = _File(None, -1, None, _SKIP_UNREADABLE)  # -1: retried each time
            return
        # Decoded and checked for credentials exactly as the ingestor does (source_text).
        source = read_text(data)
        if isinstance(source, Refusal):
            self._files[rel] = _File(mtime, st.st_size, None, source.value)
            return
        self._files[rel] = _File(mtime, st.st_size, self._add_doc(rel, source.text))

    def _add_doc(self, rel: str, text: str) -> int:
        # The vocabulary is a defaultdict that numbers new words itself, so this loop over
        # every word of the file runs in C.
        ids = array("I", map(self._vocab.__getitem__, tokenize(text)))
        doc = self._free_ids.pop() if self._free_ids else len(self._paths)
        if doc == len(self._paths):
            self._paths.append("")
            self._seqs.append(b"")
            self._lengths.append(0)
            self._norms.append(1.0)
        self._paths[doc] = rel
        self._seqs[doc] = ids.tobytes()
        self._lengths[doc] = len(ids)
        postings, stop_ids = self._postings, self._stop_ids
        for word_id, tf in Counter(ids).items():
            if word_id not in stop_ids:
                docs = postings.get(word_id)
                if docs is None:
                    postings[word_id] = {doc: tf}
                else:
                    docs[doc] = tf
        self._live_docs += 1
        self._total_tokens += len(ids)
        return doc

    def _drop_file(self, rel: str) -> None:
        known = self._files.pop(rel)
        self._uncache(rel)
        if known.doc is None:
            return
        doc = known.doc
        postings = self._postings
        for word_id in set(memoryview(self._seqs[doc]).cast("I")) - self._stop_ids:
            docs = postings[word_id]
            del docs[doc]
            if not docs:
                del postings[word_id]
        self._live_docs -= 1
        self._total_tokens -= self._lengths[doc]
        self._paths[doc], self._seqs[doc], self._lengths[doc] = "", b"", 0
        self._free_ids.append(doc)

    def _update_norms(self) -> None:
        # BM25's k1 * (1 - b + b * length / average length), for every doc id at once.
        average = self._total_tokens / self._live_docs if self._live_docs else 1.0
        self._norms = list(map(add, itertools.repeat(_K1 * (1 - _B)),
                               map(mul, itertools.repeat(_K1 * _B / (average or 1.0)),
                                   self._lengths)))

    # --- matching and ranking ------------------------------------------------------------------

    def _match(self, parsed: ParsedQuery) -> tuple[list[int], list[int]]:
        """(every matching doc id, the word ids that rank them)."""
        if parsed.mode is Mode.PHRASE:
            return self._phrase_matches(parsed.words)
        word_ids = [self._vocab.get(term) for term in parsed.terms]
        known = [w for w in word_ids if w is not None and w in self._postings]
        if not known or (parsed.mode is Mode.AND and len(known) < len(word_ids)):
            return [], []
        if parsed.mode is Mode.AND:
            return self._all_of(known), known
        return list(set().union(*(self._postings[w].keys() for w in known))), known

    def _all_of(self, word_ids: list[int]) -> list[int]:
        """The docs holding every word: set intersections, starting from the rarest word."""
        ordered = sorted(word_ids, key=lambda w: len(self._postings[w]))
        docs = self._postings[ordered[0]].keys()
        for word_id in ordered[1:]:
            docs = docs & self._postings[word_id].keys()
        return list(docs)

    def _phrase_matches(self, words: tuple[str, ...]) -> tuple[list[int], list[int]]:
        word_ids = [self._vocab.get(word) for word in words]
        scored = list(dict.fromkeys(w for w in word_ids if w not in self._stop_ids))
        if None in word_ids or any(w not in self._postings for w in scored):
            return [], []
        # Candidates hold every word of the phrase (every file, for a phrase of stop words).
        docs = self._all_of(scored) if scored else [d for d, path in enumerate(self._paths) if path]
        pattern = array("I", word_ids).tobytes()
        seqs = self._seqs
        # bytes.find over each candidate, mapped in C; a hit that straddles two packed words
        # (its byte offset is not a multiple of 4) is rare and checked again properly.
        offsets = map(bytes.find, map(seqs.__getitem__, docs), itertools.repeat(pattern))
        return [doc for doc, at in zip(docs, offsets, strict=True)
                if at >= 0 and (at % 4 == 0 or _find_aligned(seqs[doc], pattern) >= 0)
                ], scored

    def _top(self, docs: list[int], word_ids: list[int], count: int) -> list[tuple[float, int]]:
        """The best `count` of `docs` as (score, doc id): by BM25, ties by path."""
        if not docs:
            return []
        scores = self._bm25(docs, word_ids) if word_ids else [0.0] * len(docs)
        if len(docs) > count:
            # Ordering thousands of (score, path) pairs costs milliseconds; only those scoring
            # at least the count-th best score can be on the page (ties at the cut included).
            cutoff = heapq.nlargest(count, scores)[-1]
            keep = list(map(ge, scores, itertools.repeat(cutoff)))
            docs = list(itertools.compress(docs, keep))
            scores = list(itertools.compress(scores, keep))
        paths = self._paths
        keyed = sorted(zip(map(neg, scores), map(paths.__getitem__, docs), docs, strict=True))
        return [(-negative, doc) for negative, _, doc in keyed[:count]]

    def _bm25(self, docs: list[int], word_ids: list[int]) -> list[float]:
        """BM25 of each doc for the words, built from map() chains: this runs over every match
        (thousands for common words), and C-level iteration keeps it at a few hundred µs."""
        total: list[float] | None = None
        repeat, norms = itertools.repeat, self._norms.__getitem__
        for word_id in word_ids:
            posting = self._postings[word_id]
            df = len(posting)
            idf = math.log(1.0 + (self._live_docs - df + 0.5) / (df + 0.5))
            tfs = list(map(posting.get, docs, repeat(0)))
            # idf * tf * (k1 + 1) / (tf + norm)
            part = map(truediv, map(mul, tfs, repeat(idf * (_K1 + 1))),
                       map(add, tfs, map(norms, docs)))
            total = list(part) if total is None else list(map(add, total, part))
        assert total is not None
        return total

    # --- hits, snippets and content ------------------------------------------------------------

    def _hit(self, doc: int, score: float, locator: Locator) -> DocHit:
        path = self._paths[doc]
        cached, known = self._cache.get(path), self._files[path]
        if cached is not None and (cached.mtime_ns, cached.size) == (known.mtime_ns, known.size):
            # As indexed at the last refresh: no lstat() needed (one per hit adds up).
            self._cache.move_to_end(path)
            text = cached.text
        else:
            try:
                text = self._content(path)
            except (OSError, DocsArgumentError):  # changed since the last refresh: no snippet
                return DocHit(path, round(score, 4), 1, "")
        line, snippet = locator.snippet(text)
        return DocHit(path, round(score, 4), line, snippet)

    def _confined(self, path: str) -> str:
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
        real = os.path.realpath(self._root + "/".join(parts))
        if not real.startswith(self._root):
            raise DocAccessDenied(f"{path} leads outside the workspace")
        rel = real[len(self._root):]
        names = rel.split(os.sep)
        if VCS_DIR_NAMES.intersection(names[:-1]) or self._secret.match(names[-1]):
            raise DocAccessDenied(f"{path} is a version-control or secret-looking file")
        return rel.replace(os.sep, "/")

    def _below_root(self, path: str) -> str:
        """What follows the root (as given, or real) in an absolute path; the caller checks
        it as any relative path, and the real path it leads to must still lie in the root."""
        for base in dict.fromkeys((os.path.abspath(self.root), self._root)):
            base = base.rstrip(os.sep) + os.sep
            if path.startswith(base):
                return path[len(base):]
        raise DocPathError("an absolute path must lie inside the workspace; give the path "
                           "relative to the workspace root")

    def _content(self, rel: str) -> str:
        """The text of a root-relative file, from the LRU cache when unchanged."""
        path = self._root + rel
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise DocNotFound(f"{rel} does not exist") from None
        if not stat.S_ISREG(st.st_mode):
            raise DocPathError(f"{rel} is not a regular file")
        cached = self._cache.get(rel)
        if cached is not None and (cached.mtime_ns, cached.size) == (st.st_mtime_ns, st.st_size):
            self._cache.move_to_end(rel)
            return cached.text
        if st.st_size > self.max_file_bytes:
            raise DocPathError(f"{rel} is larger than {self.max_file_bytes} bytes",
                               reason="DOC_TOO_LARGE")
        source = read_text(_read_bytes(path, self.max_file_bytes))
        if source is Refusal.BINARY:
            raise DocPathError(f"{rel} is a binary file", reason="DOC_NOT_TEXT")
        if source is Refusal.SECRET_CONTENT:
            raise DocAccessDenied(f"{rel} holds a private key or an access token")
        text = source.text
        self._uncache(rel)
        # Not cached: a file too recent to trust (it may change within the same mtime), or one
        # larger than the whole budget (it would only push out everything else).
        if len(text) <= self.cache_max_chars \
                and _trusted_mtime(st.st_mtime_ns, time.time_ns()) is not None:
            self._cache[rel] = _Cached(st.st_mtime_ns, st.st_size, text)
            self._cached_chars += len(text)
            self._evict()
        return text

    def _evict(self) -> None:
        """The ADR's _ensure_cache_size_limit, with a character budget as well."""
        while self._cache and (len(self._cache) > self.cache_size_limit
                               or self._cached_chars > self.cache_max_chars):
            _, dropped = self._cache.popitem(last=False)
            self._cached_chars -= len(dropped.text)

    def _uncache(self, rel: str) -> None:
        dropped = self._cache.pop(rel, None)
        if dropped is not None:
            self._cached_chars -= len(dropped.text)


# --- helpers -----------------------------------------------------------------------------------

def _any_name(globs: Iterable[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One regex for a set of fnmatch globs over a single file or folder name."""
    alternatives = "|".join(translate(g) for g in globs) or "(?!)"
    return re.compile(alternatives, re.IGNORECASE if ignore_case else 0)


def _trusted_mtime(mtime_ns: int, observed_ns: int) -> int | None:
    """`mtime_ns`, or None when it is so recent that a write within the same clock tick would
    leave it unchanged (then the file is looked at again next time)."""
    coarse = mtime_ns % 1_000_000_000 == 0
    window = _RACY_COARSE_NS if coarse else _RACY_FINE_NS
    return None if mtime_ns >= observed_ns - window else mtime_ns


def _read_bytes(path: str, limit: int) -> bytes:
    # O_NOFOLLOW: a file swapped for a symlink since it was listed is refused, not followed.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as handle:
        return handle.read(limit + 1)


def _scramble(count: int) -> int:
    """The `count`-th word id: a bijection of uint32 (odd multiplier), so ids stay unique.
    Plain counts are mostly zero bytes, and bytes.find, which finds phrases, slows down ~3x on
    such low-entropy text; scrambled ids look random to it."""
    return (count * 0x9E3779B1) & 0xFFFFFFFF


def _find_aligned(haystack: bytes, needle: bytes) -> int:
    """The word position of `needle` in `haystack` (both packed uint32), or -1. A byte-level
    hit that straddles two words is not a match; look further."""
    at = haystack.find(needle)
    while at >= 0 and at % 4:
        at = haystack.find(needle, at + 1)
    return at // 4 if at >= 0 else -1


def _lines_from(text: str, start_line: int, max_chars: int) -> DocText:
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
