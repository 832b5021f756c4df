"""Which files of a workspace count, and why not the rest: the one policy for the ingestor,
its settings (`services.config.ingest`) and the MCP bridge's docs index.

It holds the rules (`ScanRules`: include and exclude globs, extensions, the size limit,
default-skipped folders, secret-looking names, binary extensions), the reasons a file is
declined (`SkipReason`), the .gitignore-style ignore files, and the records the walk yields
(`ScannedFile`, `SkippedFile`). `walk` applies it to a folder tree; `read` to a file's bytes,
with `source_text` and `secret_shapes` judging the content.

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
  include rules, binary files (by extension here, by their bytes in `read`), files holding a
  private key or an access token (`read`, on the decoded text: see `source_text` and
  `secret_shapes`), files over the size limit, anything that is not a regular file, and every
  symlink that is not indexed.

Nothing here imports the ingestor, the knowledge services, the RPC layer or the MCP bridge:
they all depend on this package, never the other way round.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import translate
from functools import cached_property
from pathlib import Path

from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore import GitIgnorePatternError

from services.workspace_files.source_text import Refusal

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


def any_name(globs: Iterable[str], *, ignore_case: bool) -> re.Pattern[str]:
    """One compiled regex for a set of fnmatch globs over a single file or folder name."""
    alternatives = "|".join(translate(g) for g in globs) or "(?!)"  # (?!) never matches
    return re.compile(alternatives, re.IGNORECASE if ignore_case else 0)


SECRET_NAMES = any_name(SECRET_NAME_GLOBS, ignore_case=True)  # .match(name): secret-looking
_NO_NAME = any_name((), ignore_case=False)

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
    SYMLINK_NOT_INDEXED = "symlink; these rules index none"  # index_symlinks=False
    IGNORED = "matched an ignore file (.gitignore, .knowportignore)"  # reported when named


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
    index_symlinks: bool = True  # a symlink to a file inside the workspace, under its own path

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
        self.matchers  # noqa: B018 -- compile now so a bad glob fails here, not mid-scan

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
    def matchers(self) -> Matchers:
        return Matchers(
            skip_dir=any_name(self.skip_dir_names, ignore_case=False),
            secret=SECRET_NAMES if self.skip_secrets else _NO_NAME,
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
class Matchers:
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


def os_error_reason(exc: OSError) -> SkipReason:
    return SkipReason.VANISHED if isinstance(exc, FileNotFoundError) else SkipReason.UNREADABLE


def is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# --- .gitignore --------------------------------------------------------------------------------

# (base, spec): `spec` was read in the folder whose workspace-relative path is `base`
# ('' or ending in '/'), so it matches paths relative to that folder.
Ignore = tuple[str, GitIgnoreSpec]


def read_ignore_lines(path: str) -> list[str]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_MAX_IGNORE_FILE_BYTES)
    except OSError as exc:
        log.warning("cannot read ignore file %s: %s", display_name(path), exc)
        return []
    # surrogateescape: a pattern with non-UTF-8 bytes still matches the same non-UTF-8 names
    return raw.decode("utf-8", "surrogateescape").splitlines()


def compile_ignore(lines: list[str], where: str) -> GitIgnoreSpec | None:
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


def is_ignored(ignores: tuple[Ignore, ...], rel: str) -> bool:
    # Git's precedence: a deeper ignore file beats a shallower one; within one, the last match.
    for base, spec in reversed(ignores):
        verdict = spec.check_file(rel[len(base):]).include
        if verdict is not None:
            return verdict
    return False

