"""The one walk over a workspace's folders, for the ingestor's Scan stage and the MCP bridge's
docs index: `scan()` lists a whole workspace once; `Walk.run()` lists chosen folders again
(the docs index's refresh re-lists only folders whose mtime changed).

It lists with os.scandir, one stat per candidate file, the matchers of `ScanRules` compiled
once, and yields, sorted by path, a `ScannedFile` for every file to index and a `SkippedFile`
with a reason for everything it declines (`policy` says which and why). `read.read_source()`
later reads one scanned file, checking again what may have changed since.

Symlinks are never followed out of the workspace. A symlink to a file inside it is indexed under
the link's own path (one extra copy of one file), unless `ScanRules.index_symlinks` is off. A
symlink to a folder is never descended: if the folder is inside the workspace its files are
already scanned under their real paths (or ignored there on purpose), and following it would
index them twice and invite loops. Real folders are also checked by (st_dev, st_ino) against
their ancestors, which catches bind-mount loops. Names that are not valid UTF-8 are kept
surrogate-escaped in `abs_path` (so the file can still be opened) and shown backslash-escaped
in `path` (`b'caf\\xe9.py'` -> `caf\\xe9.py`).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from services.workspace_files.policy import (
    Ignore,
    ScannedFile,
    ScanRules,
    SkippedFile,
    SkipReason,
    compile_ignore,
    display_name,
    is_ignored,
    is_within,
    os_error_reason,
    read_ignore_lines,
)


@dataclass(frozen=True, slots=True)
class Folder:
    """A real (not symlinked) folder still to list (or, for `pick`, on the way to a file)."""

    abs_path: str
    rel: str  # workspace-relative, '' for the root, else ending in '/'
    shown: str  # `rel` as reported
    ignores: tuple[Ignore, ...]  # the ignore files above it, shallowest first
    ancestors: frozenset[tuple[int, int]]  # (st_dev, st_ino) of the folders above it


Item = ScannedFile | SkippedFile | Folder


def scan(root: Path, rules: ScanRules) -> Iterator[ScannedFile | SkippedFile]:
    """Every file under `root`, indexed or skipped with a reason, sorted by path."""
    return Walk(root, rules).run()


class Walk:
    """The walk of the workspace at `root` under `rules`.

    `known(rel)` names what the caller already has (`rel` is workspace-relative, a folder's
    ends in '/'): it is passed over silently, without a system call, and a known folder is not
    entered. `listed(rel, mtime_ns)` hears of every folder listed, with the mtime it had
    before its listing, so that a change made during the listing still shows next time.
    """

    def __init__(self, root: Path | str, rules: ScanRules, *,
                 known: Callable[[str], bool] | None = None,
                 listed: Callable[[str, int], None] | None = None) -> None:
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"workspace {root} is not a directory")
        self.rules = rules
        self.match = rules.matchers
        self.known = known or (lambda rel: False)
        self.listed = listed or (lambda rel, mtime_ns: None)

    def run(self, start: Iterable[str] = ("",)) -> Iterator[ScannedFile | SkippedFile]:
        """Every file in the `start` folders ('' is the root; others end in '/') and below,
        sorted by path within each. Ignore files are read from the `start` folders down (and
        .git/info/exclude): a folder's own ignore files do not reach a listing that starts
        below it."""
        # Depth-first with an explicit stack (no recursion limit on deep trees). Each folder's
        # entries are sorted so that pushing them in reverse yields paths in sorted order.
        base = self.base_ignores()
        stack: list[Item] = [
            Folder(os.path.join(self.root, rel.rstrip("/")) if rel else self.root, rel,
                    display_name(rel), base, frozenset())
            for rel in reversed(list(start))]
        yield from self.drain(stack)

    def drain(self, stack: list[Item]) -> Iterator[ScannedFile | SkippedFile]:
        """The files of the items on `stack` (listed from its end), folders listed in turn."""
        while stack:
            item = stack.pop()
            if isinstance(item, Folder):
                stack.extend(reversed(self._list(item)))
            else:
                yield item

    def base_ignores(self) -> tuple[Ignore, ...]:
        # .git/info/exclude ranks below every .gitignore, so it comes first (shallowest).
        if ".gitignore" not in self.rules.ignore_file_names:
            return ()
        path = os.path.join(self.root, ".git", "info", "exclude")
        spec = compile_ignore(read_ignore_lines(path), path) if os.path.isfile(path) else None
        return (("", spec),) if spec is not None else ()

    def _list(self, folder: Folder) -> list[Item]:
        try:
            st = os.lstat(folder.abs_path)
            if not stat.S_ISDIR(st.st_mode):  # swapped for a symlink or a file since listed
                raise FileNotFoundError(folder.abs_path)
            with os.scandir(folder.abs_path) as listing:
                entries = {entry.name: entry for entry in listing}
        except OSError as exc:
            if not folder.rel:
                raise  # the workspace itself: the caller's problem, not a skipped file
            return [SkippedFile(folder.shown, os_error_reason(exc))]
        here = (st.st_dev, st.st_ino)
        if here in folder.ancestors:
            return [SkippedFile(folder.shown, SkipReason.FILESYSTEM_LOOP)]
        self.listed(folder.rel, st.st_mtime_ns)

        ignores = self.ignores_inside(folder, lambda name: (
            (entry := entries.get(name)) is not None and entry.is_file(follow_symlinks=False)))
        ancestors = folder.ancestors | {here}
        keyed = (self.entry(folder, entry, ignores, ancestors) for entry in entries.values())
        # A folder sorts as "name/" so that "a.txt" < "a/b" holds as it does for the full paths.
        return [item for _, item in sorted(keyed, key=lambda pair: pair[0]) if item is not None]

    def ignores_inside(self, folder: Folder,
                       is_file: Callable[[str], bool]) -> tuple[Ignore, ...]:
        """The ignore specs that apply to `folder`'s entries: those above it and its own
        ignore files (`is_file(name)`: a regular file, not a symlink, by that name is there)."""
        # Like git (2.32+), never follow a symlinked ignore file. One spec per folder, with
        # .knowportignore's lines after .gitignore's so that they win.
        lines = [line for name in self.rules.ignore_file_names if is_file(name)
                 for line in read_ignore_lines(os.path.join(folder.abs_path, name))]
        if lines and (spec := compile_ignore(lines, folder.abs_path)) is not None:
            return (*folder.ignores, (folder.rel, spec))
        return folder.ignores

    def entry(self, folder: Folder, entry: os.DirEntry[str], ignores: tuple[Ignore, ...],
               ancestors: frozenset[tuple[int, int]]) -> tuple[str, Item | None]:
        name = entry.name
        rel = folder.rel + name
        shown = folder.shown + display_name(name)
        try:
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            return shown, SkippedFile(shown, os_error_reason(exc))
        if is_dir:
            rel, shown = rel + "/", shown + "/"
            if self.known(rel):
                return shown, None
            if self.match.skip_dir.match(name):
                return shown, SkippedFile(shown, SkipReason.SKIPPED_FOLDER)
            if is_ignored(ignores, rel):
                return shown, None
            if self.match.exclude is not None and self.match.exclude.match_file(rel):
                return shown, SkippedFile(shown, SkipReason.EXCLUDED)
            return shown, Folder(entry.path, rel, shown, ignores, ancestors)
        # Git treats a symlink as a file, whatever it points to; so do the ignore rules.
        if self.known(rel) or is_ignored(ignores, rel):
            return shown, None
        if is_link:
            return shown, self._symlink(folder, entry, rel, shown)
        return shown, self._file(entry, rel, shown, follow=False)

    def _symlink(self, folder: Folder, entry: os.DirEntry[str], rel: str,
                 shown: str) -> Item:
        if not self.rules.index_symlinks:
            return SkippedFile(shown, SkipReason.SYMLINK_NOT_INDEXED)
        try:
            target_stat = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            return SkippedFile(shown, SkipReason.BROKEN_SYMLINK)
        except OSError as exc:
            reason = SkipReason.SYMLINK_LOOP if exc.errno == errno.ELOOP else SkipReason.UNREADABLE
            return SkippedFile(shown, reason)
        target = os.path.realpath(entry.path)
        if not is_within(target, self.root):
            return SkippedFile(shown, SkipReason.OUTSIDE)
        if stat.S_ISDIR(target_stat.st_mode):
            # The walk only enters real folders, so folder.abs_path is a real path.
            if is_within(folder.abs_path, target):
                return SkippedFile(shown, SkipReason.SYMLINK_LOOP)
            return SkippedFile(shown, SkipReason.SYMLINKED_FOLDER)
        if self.match.secret.match(os.path.basename(target)):  # `notes -> .env` is still a secret
            return SkippedFile(shown, SkipReason.SECRET)
        return self._file(entry, rel, shown, follow=True)

    def _file(self, entry: os.DirEntry[str], rel: str, shown: str, *, follow: bool) -> Item:
        reason = self.match.name_reason(entry.name, rel)
        if reason is not None:
            return SkippedFile(shown, reason)
        try:
            st = entry.stat(follow_symlinks=follow)  # the only syscall most files cost
        except OSError as exc:
            return SkippedFile(shown, os_error_reason(exc))
        if not stat.S_ISREG(st.st_mode):
            return SkippedFile(shown, SkipReason.NOT_REGULAR)
        if st.st_size > self.rules.max_file_bytes:
            return SkippedFile(shown, SkipReason.TOO_LARGE)
        return ScannedFile(shown, Path(entry.path), st.st_size, st.st_mtime_ns)

