"""Scan, the pipeline's first stage: which files of a workspace get indexed, and why not the rest.

`scan()` walks the workspace once (os.scandir, one stat per candidate file, matchers compiled
once) and yields, sorted by path, a `ScannedFile` for every file to index and a `SkippedFile`
with a reason for everything it declines. `read_source()` later reads one scanned file, checking
again what may have changed since (vanished, grown, swapped for a symlink, binary content).

What is reported and what is silent:

* Silent: files and folders ignored by `.gitignore`, `.knowportignore` (same syntax, read after
  `.gitignore` in the same folder so it can override it) or `.git/info/exclude`. The user has
  already said they are not part of the project, and a repository has thousands of them.
* One `SkippedFile` per folder, path ending in '/', not one per file inside: default-skipped
  folders (version control, dependencies, build output, caches; `ScanRules.skip_dir_names`),
  folders matched by an exclude glob (write `docs/` to drop a folder in one entry), and
  folders that cannot be listed.
* One `SkippedFile` per file: secret-looking names (`.env*` includes `.env.example` on
  purpose: telling a template from a real file is guesswork), exclude globs, files outside the
  include rules, binary files (by extension here, by their bytes in `read_source`), files
  holding a private key or an access token (`read_source`, on the decoded text: see
  `source_text` and `secret_shapes`), files over the size limit, anything that is not a
  regular file, and every symlink that is not indexed.

Symlinks are never followed out of the workspace. A symlink to a file inside it is indexed under
the link's own path (one extra copy of one file). A symlink to a folder is never descended: if
the folder is inside the workspace its files are already scanned under their real paths (or
ignored there on purpose), and following it would index them twice and invite loops. Real
folders are also checked by (st_dev, st_ino) against their ancestors, which catches bind-mount
loops. Names that are not valid UTF-8 are kept surrogate-escaped in `abs_path` (so the file can
still be opened) and shown backslash-escaped in `path` (`b'caf\\xe9.py'` -> `caf\\xe9.py`).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import translate
from functools import cached_property
from pathlib import Path

from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore import GitIgnorePatternError

from services.ingestor.source_text import Refusal, SourceText, read_text

log = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024  # the seed's limit

# Matched against folder names only (a script called `build` is still indexed).
DEFAULT_SKIP_DIR_NAMES = (
    ".git", ".hg", ".svn", ".bzr",
    "node_modules", "bower_components", "vendor", "third_party", ".yarn", ".pnpm-store",
    "__pycache__", ".venv", "venv", ".tox", ".nox", ".eggs", "*.egg-info",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".cache",
    "build", "dist", "target", "out-tsc", ".next", ".nuxt", ".svelte-kit", ".gradle",
    ".terraform", "coverage", "htmlcov", ".idea", ".vscode", ".data",
)

# Matched case-insensitively against file names (and a symlink's target name).
SECRET_NAME_GLOBS = (
    ".env*", "*.env",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx", "*.ovpn",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".npmrc", ".pypirc", ".netrc", "_netrc", ".pgpass", ".git-credentials", ".htpasswd",
    "credentials", "credentials.json", "*.tfstate", "*.tfstate.backup",
    "secrets.json", "secrets.yaml", "secrets.yml", "secrets.toml", "*.secret", "*.secrets",
)

# Formats whose content no text parser can use; skipping them by name saves reading them.
BINARY_EXTENSIONS = (
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd",
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".jar", ".whl",
    ".so", ".dll", ".dylib", ".exe", ".o", ".a", ".lib", ".obj", ".class", ".pyc", ".wasm",
    ".ttf", ".otf", ".woff", ".woff2", ".mp3", ".mp4", ".wav", ".ogg", ".flac", ".mov", ".mkv",
    ".sqlite", ".sqlite3", ".db", ".npy", ".npz", ".pkl", ".pickle", ".pt", ".safetensors",
)  # a tuple, for str.endswith

_MAX_IGNORE_FILE_BYTES = 1 << 20


class SkipReason(StrEnum):
    """Why a file or folder is not indexed. Values are stable, human-readable reasons."""

    SKIPPED_FOLDER = "version-control, dependency, build or cache folder"
    SECRET = "secret-looking file name"
    SECRET_CONTENT = Refusal.SECRET_CONTENT.value  # see secret_shapes for what counts
    EXCLUDED = "matched an exclude glob"
    NOT_INCLUDED = "not matched by the include rules"
    BINARY = Refusal.BINARY.value
    TOO_LARGE = "larger than the size limit"
    NOT_REGULAR = "not a regular file"
    UNREADABLE = "unreadable"
    VANISHED = "vanished before it could be read"
    OUTSIDE = "symlink points outside the workspace"
    BROKEN_SYMLINK = "broken symlink"
    SYMLINK_LOOP = "symlink loop"
    SYMLINKED_FOLDER = "symlink to a folder inside the workspace; not followed"
    FILESYSTEM_LOOP = "folder already being scanned (filesystem loop)"


@dataclass(frozen=True)
class ScannedFile:
    """A file to index. `path` is workspace-relative, '/'-separated and valid UTF-8."""

    path: str
    abs_path: Path  # the on-disk name (surrogate-escaped if not UTF-8): open this
    size_bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class SkippedFile:
    """A file, or a folder (path ends in '/'), that is not indexed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ScanRules:
    """What to index. Globs use .gitignore syntax, relative to the workspace root."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    include_extensions: tuple[str, ...] = ()  # e.g. (".py", ".md"); empty means every extension
    include_globs: tuple[str, ...] = ()  # a file is included if it matches either include rule
    exclude_globs: tuple[str, ...] = ()  # wins over the include rules
    skip_secrets: bool = True
    skip_dir_names: tuple[str, ...] = DEFAULT_SKIP_DIR_NAMES  # folder names; fnmatch globs
    ignore_file_names: tuple[str, ...] = (".gitignore", ".knowportignore")  # later ones win

    def __post_init__(self) -> None:
        if isinstance(self.max_file_bytes, bool) or not isinstance(self.max_file_bytes, int) \
                or self.max_file_bytes <= 0:
            raise ValueError(f"max file size must be a positive number of bytes, "
                             f"not {self.max_file_bytes!r}")
        for field_name in ("include_extensions", "include_globs", "exclude_globs",
                           "skip_dir_names", "ignore_file_names"):
            value = getattr(self, field_name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{field_name} must be a tuple of strings, not {value!r}")
        for ext in self.include_extensions:
            _check_extension(ext)
        for name in (*self.skip_dir_names, *self.ignore_file_names):
            if not name or "/" in name:
                raise ValueError(f"{name!r} is not a file or folder name")
        self._matchers  # noqa: B018 -- compile now so a bad glob fails here, not mid-scan

    @classmethod
    def from_strings(cls, *, include_extensions: str = "", include_globs: str = "",
                     exclude_globs: str = "", max_file_bytes: int | str | None = None,
                     skip_secrets: bool = True) -> ScanRules:
        """Rules from comma-separated settings, e.g. include_extensions=".py,.md"."""
        if max_file_bytes is None or max_file_bytes == "":
            size = DEFAULT_MAX_FILE_BYTES
        else:
            try:
                size = int(max_file_bytes)
            except ValueError:
                raise ValueError(f"max file size must be a whole number of bytes, "
                                 f"not {max_file_bytes!r}") from None
        return cls(max_file_bytes=size, include_extensions=_split(include_extensions),
                   include_globs=_split(include_globs), exclude_globs=_split(exclude_globs),
                   skip_secrets=skip_secrets)

    @cached_property  # works on a frozen dataclass: it writes to __dict__ directly
    def _matchers(self) -> _Matchers:
        return _Matchers(
            skip_dir=_any_name(self.skip_dir_names, ignore_case=False),
            secret=_any_name(SECRET_NAME_GLOBS if self.skip_secrets else (), ignore_case=True),
            extensions=tuple(ext.lower() for ext in self.include_extensions),
            include=_user_globs(self.include_globs, "include"),
            exclude=_user_globs(self.exclude_globs, "exclude"),
        )


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _check_extension(ext: str) -> None:
    if not ext.startswith(".") or len(ext) < 2 or any(c in ext for c in "/*?[ \t"):
        hint = " (use an include glob for patterns)" if any(c in ext for c in "*?[") else ""
        raise ValueError(f"include extension {ext!r} must look like '.py'{hint}")


def _any_name(globs: Iterable[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One compiled regex for a set of fnmatch globs over a single name."""
    alternatives = "|".join(translate(g) for g in globs) or "(?!)"  # (?!) never matches
    return re.compile(alternatives, re.IGNORECASE if ignore_case else 0)


def _user_globs(globs: tuple[str, ...], kind: str) -> GitIgnoreSpec | None:
    for glob in globs:
        if glob.startswith("!"):
            raise ValueError(f"{kind} glob {glob!r}: '!' negation is not supported here")
        try:
            (pattern,) = GitIgnoreSpec.from_lines([glob]).patterns
        except GitIgnorePatternError as exc:
            raise ValueError(f"{kind} glob {glob!r} is not a valid glob: {exc}") from None
        if pattern.include is None:
            raise ValueError(f"{kind} glob {glob!r} matches nothing")
    return GitIgnoreSpec.from_lines(globs) if globs else None


@dataclass(frozen=True)
class _Matchers:
    skip_dir: re.Pattern[str]
    secret: re.Pattern[str]
    extensions: tuple[str, ...]
    include: GitIgnoreSpec | None
    exclude: GitIgnoreSpec | None

    def name_reason(self, name: str, rel: str) -> SkipReason | None:
        """Why a file is skipped, judging by its name and path alone (no I/O)."""
        if self.secret.match(name):
            return SkipReason.SECRET
        if self.exclude is not None and self.exclude.match_file(rel):
            return SkipReason.EXCLUDED
        lower = name.lower()
        if (self.extensions or self.include is not None) and not (
                (self.extensions and lower.endswith(self.extensions))
                or (self.include is not None and self.include.match_file(rel))):
            return SkipReason.NOT_INCLUDED
        if lower.endswith(BINARY_EXTENSIONS):
            return SkipReason.BINARY
        return None


# --- paths -------------------------------------------------------------------------------------

def display_name(name: str) -> str:
    """`name` as valid UTF-8 text: undecodable bytes (surrogate escapes) become `\\xNN`."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


def _os_error_reason(exc: OSError) -> SkipReason:
    return SkipReason.VANISHED if isinstance(exc, FileNotFoundError) else SkipReason.UNREADABLE


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# --- .gitignore --------------------------------------------------------------------------------

# (base, spec): `spec` was read in the folder whose workspace-relative path is `base`
# ('' or ending in '/'), so it matches paths relative to that folder.
_Ignore = tuple[str, GitIgnoreSpec]


def _read_ignore_lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_IGNORE_FILE_BYTES)
    except OSError as exc:
        log.warning("cannot read ignore file %s: %s", display_name(path), exc)
        return []
    # surrogateescape: a pattern with non-UTF-8 bytes still matches the same non-UTF-8 names
    return raw.decode("utf-8", "surrogateescape").splitlines()


def _compile_ignore(lines: list[str], where: str) -> GitIgnoreSpec | None:
    """The spec for one folder's ignore lines; None when they ignore nothing."""
    try:
        spec = GitIgnoreSpec.from_lines(lines)
    except GitIgnorePatternError:  # git skips a bad line and keeps the rest; so do we
        spec = GitIgnoreSpec.from_lines(line for line in lines if _valid_pattern(line, where))
    return spec if any(p.include is not None for p in spec.patterns) else None


def _valid_pattern(line: str, where: str) -> bool:
    try:
        GitIgnoreSpec.from_lines([line])
    except GitIgnorePatternError:
        log.warning("ignoring invalid pattern %r in %s", line, display_name(where))
        return False
    return True


def _is_ignored(ignores: tuple[_Ignore, ...], rel: str) -> bool:
    # Git's precedence: a deeper ignore file beats a shallower one; within one, the last match.
    for base, spec in reversed(ignores):
        verdict = spec.check_file(rel[len(base):]).include
        if verdict is not None:
            return verdict
    return False


# --- the walk ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Folder:
    """A real (not symlinked) folder still to list."""

    abs_path: str
    rel: str  # workspace-relative, '' for the root, else ending in '/'
    shown: str  # `rel` as reported
    ignores: tuple[_Ignore, ...]  # the ignore files above it, shallowest first
    ancestors: frozenset[tuple[int, int]]  # (st_dev, st_ino) of the folders above it


_Item = ScannedFile | SkippedFile | _Folder


def scan(root: Path, rules: ScanRules) -> Iterator[ScannedFile | SkippedFile]:
    """Every file under `root`, indexed or skipped with a reason, sorted by path."""
    return _Walk(root, rules).run()


class _Walk:
    def __init__(self, root: Path, rules: ScanRules) -> None:
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"workspace {root} is not a directory")
        self.rules = rules
        self.match = rules._matchers

    def run(self) -> Iterator[ScannedFile | SkippedFile]:
        # Depth-first with an explicit stack (no recursion limit on deep trees). Each folder's
        # entries are sorted so that pushing them in reverse yields paths in sorted order.
        stack: list[_Item] = [_Folder(self.root, "", "", self._base_ignores(), frozenset())]
        while stack:
            item = stack.pop()
            if isinstance(item, _Folder):
                stack.extend(reversed(self._list(item)))
            else:
                yield item

    def _base_ignores(self) -> tuple[_Ignore, ...]:
        # .git/info/exclude ranks below every .gitignore, so it comes first (shallowest).
        if ".gitignore" not in self.rules.ignore_file_names:
            return ()
        path = os.path.join(self.root, ".git", "info", "exclude")
        spec = _compile_ignore(_read_ignore_lines(path), path) if os.path.isfile(path) else None
        return (("", spec),) if spec is not None else ()

    def _list(self, folder: _Folder) -> list[_Item]:
        try:
            st = os.lstat(folder.abs_path)
            if not stat.S_ISDIR(st.st_mode):  # swapped for a symlink or a file since listed
                raise FileNotFoundError(folder.abs_path)
            with os.scandir(folder.abs_path) as listing:
                entries = {entry.name: entry for entry in listing}
        except OSError as exc:
            if not folder.rel:
                raise  # the workspace itself: the caller's problem, not a skipped file
            return [SkippedFile(folder.shown, _os_error_reason(exc))]
        here = (st.st_dev, st.st_ino)
        if here in folder.ancestors:
            return [SkippedFile(folder.shown, SkipReason.FILESYSTEM_LOOP)]

        ignores = folder.ignores
        # Like git (2.32+), never follow a symlinked ignore file. One spec per folder, with
        # .knowportignore's lines after .gitignore's so that they win.
        own = (entries.get(name) for name in self.rules.ignore_file_names)
        lines = [line for entry in own if entry is not None and entry.is_file(follow_symlinks=False)
                 for line in _read_ignore_lines(entry.path)]
        if lines and (spec := _compile_ignore(lines, folder.abs_path)) is not None:
            ignores = (*ignores, (folder.rel, spec))

        ancestors = folder.ancestors | {here}
        keyed = (self._entry(folder, entry, ignores, ancestors) for entry in entries.values())
        # A folder sorts as "name/" so that "a.txt" < "a/b" holds as it does for the full paths.
        return [item for _, item in sorted(keyed, key=lambda pair: pair[0]) if item is not None]

    def _entry(self, folder: _Folder, entry: os.DirEntry[str], ignores: tuple[_Ignore, ...],
               ancestors: frozenset[tuple[int, int]]) -> tuple[str, _Item | None]:
        name = entry.name
        rel = folder.rel + name
        shown = folder.shown + display_name(name)
        try:
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            return shown, SkippedFile(shown, _os_error_reason(exc))
        if is_dir:
            rel, shown = rel + "/", shown + "/"
            if self.match.skip_dir.match(name):
                return shown, SkippedFile(shown, SkipReason.SKIPPED_FOLDER)
            if _is_ignored(ignores, rel):
                return shown, None
            if self.match.exclude is not None and self.match.exclude.match_file(rel):
                return shown, SkippedFile(shown, SkipReason.EXCLUDED)
            return shown, _Folder(entry.path, rel, shown, ignores, ancestors)
        # Git treats a symlink as a file, whatever it points to; so do the ignore rules.
        if _is_ignored(ignores, rel):
            return shown, None
        if is_link:
            return shown, self._symlink(folder, entry, rel, shown)
        return shown, self._file(entry, rel, shown, follow=False)

    def _symlink(self, folder: _Folder, entry: os.DirEntry[str], rel: str,
                 shown: str) -> _Item:
        try:
            target_stat = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            return SkippedFile(shown, SkipReason.BROKEN_SYMLINK)
        except OSError as exc:
            reason = SkipReason.SYMLINK_LOOP if exc.errno == errno.ELOOP else SkipReason.UNREADABLE
            return SkippedFile(shown, reason)
        target = os.path.realpath(entry.path)
        if not _is_within(target, self.root):
            return SkippedFile(shown, SkipReason.OUTSIDE)
        if stat.S_ISDIR(target_stat.st_mode):
            # The walk only enters real folders, so folder.abs_path is a real path.
            if _is_within(folder.abs_path, target):
                return SkippedFile(shown, SkipReason.SYMLINK_LOOP)
            return SkippedFile(shown, SkipReason.SYMLINKED_FOLDER)
        if self.match.secret.match(os.path.basename(target)):  # `notes -> .env` is still a secret
            return SkippedFile(shown, SkipReason.SECRET)
        return self._file(entry, rel, shown, follow=True)

    def _file(self, entry: os.DirEntry[str], rel: str, shown: str, *, follow: bool) -> _Item:
        reason = self.match.name_reason(entry.name, rel)
        if reason is not None:
            return SkippedFile(shown, reason)
        try:
            st = entry.stat(follow_symlinks=follow)  # the only syscall most files cost
        except OSError as exc:
            return SkippedFile(shown, _os_error_reason(exc))
        if not stat.S_ISREG(st.st_mode):
            return SkippedFile(shown, SkipReason.NOT_REGULAR)
        if st.st_size > self.rules.max_file_bytes:
            return SkippedFile(shown, SkipReason.TOO_LARGE)
        return ScannedFile(shown, Path(entry.path), st.st_size, st.st_mtime_ns)


# --- reading -----------------------------------------------------------------------------------

# O_NOFOLLOW: the checked path's last part cannot have become a symlink in the meantime;
# O_NONBLOCK: a FIFO swapped in since the scan cannot hang the reader.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_BINARY", 0))


def read_source(scanned: ScannedFile, root: Path, max_file_bytes: int, *,
                skip_secrets: bool = True) -> SourceText | SkippedFile:
    """Read and decode a scanned file, or say why it can no longer be indexed."""
    target = os.path.realpath(scanned.abs_path)
    if not _is_within(target, os.path.realpath(root)):
        return SkippedFile(scanned.path, SkipReason.OUTSIDE)
    try:
        with open(os.open(target, _OPEN_FLAGS), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return SkippedFile(scanned.path, SkipReason.NOT_REGULAR)
            data = handle.read(max_file_bytes + 1)  # one byte more tells "grew too large"
    except OSError as exc:
        return SkippedFile(scanned.path, _os_error_reason(exc))
    if len(data) > max_file_bytes:
        return SkippedFile(scanned.path, SkipReason.TOO_LARGE)
    # Decoded and checked for credentials in one step, the docs index's too (source_text).
    source = read_text(data, skip_secrets=skip_secrets)
    return SkippedFile(scanned.path, SkipReason(source)) if isinstance(source, Refusal) \
        else source
