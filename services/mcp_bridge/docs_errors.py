"""The docs index's errors. Each is a domain error with a stable reason (see
services/domain/errors.py) and also the matching built-in exception, so plain Python callers
may catch ValueError, PermissionError or FileNotFoundError."""

from __future__ import annotations

from services.domain.errors import InvalidArgument, NotFound


class DocsArgumentError(InvalidArgument, ValueError):
    """A query, page or path given to the docs index is malformed."""

    default_reason = "INVALID_DOCS_ARGUMENT"


class DocPathError(DocsArgumentError):
    """The path is not a usable workspace-relative path, or names no readable text file."""

    default_reason = "INVALID_DOC_PATH"


class DocAccessDenied(InvalidArgument, PermissionError):
    """The path leaves the workspace, or names a file the bridge never shows (secrets, VCS)."""

    default_reason = "DOC_ACCESS_DENIED"


class DocNotFound(NotFound, FileNotFoundError):
    """No such file in the workspace."""

    default_reason = "DOC_NOT_FOUND"
