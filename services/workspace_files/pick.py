"""Chosen paths of a workspace, judged by exactly the rules of the whole walk.

The fast path (`StartIngest.paths`) and the watcher name the files that changed; `Pick`
finds each one indexable (`ScannedFile`), declined with a reason (`SkippedFile`), or `Gone`,
without listing anything but the named paths: a few `lstat`s per path, and each folder on the
way read for its ignore files once. A named folder stands for every file below it. Unlike the
walk, which passes over ignored files silently, a path named on purpose and ignored is
reported, with the reason `IGNORED`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from services.domain.errors import InvalidArgument
from services.workspace_files.policy import (
    Ignore,
    ScannedFile,
    ScanRules,
    SkippedFile,
    SkipReason,
    display_name,
    is_ignored,
    is_within,
    os_error_reason,
)
from services.workspace_files.walk import Folder, Walk


@dataclass(frozen=True)
class Gone:
    """Nothing is at this workspace-relative path any more (a file, or a folder)."""

    path: str


Picked = ScannedFile | SkippedFile | Gone


def relative_path(raw: str, root: str) -> str:
    """The workspace-relative, '/'-separated form of a path a client named: relative to the
    workspace, or absolute and inside it (as given, or with its symlinks resolved).

    These paths name files on disk to read again, so the file names are taken literally (no
    percent-decoding); what could climb out (`..`, an absolute path elsewhere) is refused.
    """
    if "\0" in raw:
        raise _bad(raw, "contains a NUL byte")
    path = raw
    if os.path.isabs(raw):
        plain = os.path.normpath(raw)
        base = next((b for b in dict.fromkeys((root, os.path.realpath(root)))
                     if is_within(plain, b)), None)
        if base is None:
            raise _bad(raw, "lies outside the workspace")
        path = os.path.relpath(plain, base)
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _bad(raw, "must not contain '..' segments")
    if not parts:
        raise _bad(raw, "names the workspace itself; start an ingest without paths for that")
    return "/".join(parts)


def _bad(raw: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"path {raw[:200]!r} {why}", reason="BAD_PATH",
                           metadata={"field": "paths"})


class _Entry:
    """What `Walk.entry` asks of an `os.DirEntry`, for one named path (one lstat)."""

    def __init__(self, folder: str, name: str) -> None:
        self.name = name
        self.path = os.path.join(folder, name)
        self._lstat = os.lstat(self.path)  # FileNotFoundError: gone

    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self._lstat.st_mode)

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return os.stat(self.path) if follow_symlinks and self.is_symlink() else self._lstat

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        return stat.S_ISDIR(self.stat(follow_symlinks=follow_symlinks).st_mode)


_ESCAPED_BYTE = re.compile(r"\\x([89a-fA-F][0-9a-fA-F])")


def _entry(folder: str, name: str) -> _Entry:
    """The entry by that name; a name as the index shows it (`caf\\xe9.py`, for a name that
    is not UTF-8) is looked for under its bytes too."""
    try:
        return _Entry(folder, name)
    except FileNotFoundError:
        on_disk = _ESCAPED_BYTE.sub(lambda m: chr(0xDC00 + int(m[1], 16)), name)
        if on_disk == name:
            raise
        return _Entry(folder, on_disk)


@dataclass(frozen=True)
class _Inside:
    """A folder on the way to named paths, with what applies to its entries."""

    folder: Folder
    ignores: tuple[Ignore, ...]
    ancestors: frozenset[tuple[int, int]]


class Pick:
    """Judges named paths of the workspace at `root` under `rules` (one instance per batch:
    it remembers the folders it has read)."""

    def __init__(self, root: str, rules: ScanRules) -> None:
        self.walk = Walk(root, rules)
        self._folders: dict[str, _Inside | SkippedFile | Gone] = {}

    def paths(self, rels: Iterable[str]) -> Iterator[Picked]:
        """Each of `rels` (workspace-relative, from `relative_path`), or the files below it."""
        for rel in dict.fromkeys(rels):
            parent, _, name = rel.rpartition("/")
            inside = self._inside(parent + "/" if parent else "")
            if not isinstance(inside, _Inside):
                yield Gone(rel) if isinstance(inside, Gone) else SkippedFile(
                    display_name(rel), inside.reason)
                continue
            item = self._child(inside, name)
            if isinstance(item, Folder):
                yield from self.walk.drain([item])
            else:
                yield item

    def _child(self, inside: _Inside, name: str) -> Folder | Picked:
        folder = inside.folder
        rel = folder.rel + name
        try:
            entry = _entry(folder.abs_path, name)
        except (FileNotFoundError, NotADirectoryError):
            if (self.walk.match.skip_dir.match(name) or is_ignored(inside.ignores, rel)
                    or is_ignored(inside.ignores, rel + "/")):
                return SkippedFile(display_name(rel), SkipReason.IGNORED)
            return Gone(display_name(rel))
        except OSError as exc:
            return SkippedFile(display_name(rel), os_error_reason(exc))
        shown, item = self.walk.entry(folder, entry, inside.ignores, inside.ancestors)
        return SkippedFile(shown, SkipReason.IGNORED) if item is None else item

    def _inside(self, rel: str) -> _Inside | SkippedFile | Gone:
        """The folder `rel` ('' or ending in '/') with what applies inside it, or why the
        paths below it are not indexed."""
        if (known := self._folders.get(rel)) is not None:
            return known
        if not rel:
            root = Folder(self.walk.root, "", "", self.walk.base_ignores(), frozenset())
            found = self._open(root)
        else:
            parent, _, name = rel.rstrip("/").rpartition("/")
            above = self._inside(parent + "/" if parent else "")
            if not isinstance(above, _Inside):
                found = above
            else:
                item = self._child(above, name)
                if isinstance(item, Folder):
                    found = self._open(item)
                elif isinstance(item, ScannedFile):  # a file where a folder was: nothing below
                    found = Gone(rel)
                else:
                    found = item
        self._folders[rel] = found
        return found

    def _open(self, folder: Folder) -> _Inside | Gone:
        try:
            st = os.lstat(folder.abs_path)
        except OSError:
            return Gone(folder.rel)

        def is_file(name: str) -> bool:
            try:
                return stat.S_ISREG(os.lstat(os.path.join(folder.abs_path, name)).st_mode)
            except OSError:
                return False

        return _Inside(folder, self.walk.ignores_inside(folder, is_file),
                       folder.ancestors | {(st.st_dev, st.st_ino)})
