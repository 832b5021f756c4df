"""Reading a file the walk found: its bytes, checked again for what may have changed since the
walk (vanished, grown, swapped for a symlink or a FIFO), then decoded and checked for
credentials (`source_text`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from services.workspace_files.policy import (
    ScannedFile,
    SkippedFile,
    SkipReason,
    is_within,
    os_error_reason,
)
from services.workspace_files.source_text import Refusal, SourceText, read_text

# O_NOFOLLOW: the checked path's last part cannot have become a symlink in the meantime;
# O_NONBLOCK: a FIFO swapped in since the scan cannot hang the reader.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_BINARY", 0))


class NotRegularFile(OSError):
    """The path names a folder, a FIFO, a device or a socket now, not a regular file."""


def read_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """Up to `limit` + 1 bytes of the regular file at `path` (one byte more tells "grew too
    large"); OSError if it cannot be read, NotRegularFile if it is no regular file now."""
    with open(os.open(path, _OPEN_FLAGS), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotRegularFile(f"{os.fsdecode(path)} is not a regular file")
        return handle.read(limit + 1)


def read_source(scanned: ScannedFile, root: Path, max_file_bytes: int, *,
                skip_secrets: bool = True) -> SourceText | SkippedFile:
    """Read and decode a scanned file, or say why it can no longer be indexed."""
    target = os.path.realpath(scanned.abs_path)
    if not is_within(target, os.path.realpath(root)):
        return SkippedFile(scanned.path, SkipReason.OUTSIDE)
    try:
        data = read_bytes(target, max_file_bytes)
    except NotRegularFile:
        return SkippedFile(scanned.path, SkipReason.NOT_REGULAR)
    except OSError as exc:
        return SkippedFile(scanned.path, os_error_reason(exc))
    if len(data) > max_file_bytes:
        return SkippedFile(scanned.path, SkipReason.TOO_LARGE)
    # Decoded and checked for credentials in one step, the docs index's too (source_text).
    source = read_text(data, skip_secrets=skip_secrets)
    return SkippedFile(scanned.path, SkipReason(source)) if isinstance(source, Refusal) \
        else source
