"""What a workspace root must be: an existing directory, given by its own path (not a symlink
to somewhere else), neither inside nor around another registered root.

Roots are stored with their parent symlinks resolved (`/tmp/x` on a system where /tmp is a
link is stored as `/private/tmp/x`), so two spellings of one folder are one workspace, and
the nesting check compares real locations. The root itself being a symlink is refused: its
contents live elsewhere, and the index must never read outside what was registered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from services.domain.errors import FailedPrecondition, InvalidArgument
from services.domain.models import Workspace


def _bad_root(message: str, reason: str, root: str) -> InvalidArgument:
    return InvalidArgument(message, reason=reason, metadata={"field": "root", "root": root})


def checked_root(raw: str) -> str:
    """The canonical form of a requested root; raises InvalidArgument with a reason naming
    what is wrong (ROOT_NOT_ABSOLUTE, ROOT_SYMLINK, ROOT_MISSING, ROOT_NOT_DIRECTORY)."""
    if not os.path.isabs(raw):
        raise _bad_root(f"root {raw!r} must be an absolute path (the server's working "
                        "directory is not the caller's)", "ROOT_NOT_ABSOLUTE", raw)
    path = os.path.normpath(raw)
    if os.path.islink(path):
        raise _bad_root(f"root {raw!r} is a symlink to {os.path.realpath(path)!r}; register "
                        "the folder it points to instead", "ROOT_SYMLINK", raw)
    real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    if not os.path.exists(real):
        raise _bad_root(f"root {raw!r} does not exist", "ROOT_MISSING", raw)
    if not os.path.isdir(real):
        raise _bad_root(f"root {raw!r} is not a directory", "ROOT_NOT_DIRECTORY", raw)
    return real


def _inside(path: str, root: str) -> bool:
    return path != root and path.startswith(root.rstrip("/") + "/")


def check_not_nested(root: str, registered: Iterable[Workspace]) -> None:
    """Refuse a root inside or around a registered one (its files would be indexed twice,
    and a path would name two files): FAILED_PRECONDITION naming the other workspace."""
    for other in registered:
        if _inside(root, other.root) or _inside(other.root, root):
            where = "inside" if _inside(root, other.root) else "around"
            raise FailedPrecondition(
                f"root {root!r} is {where} the root of workspace {other.id!r} ({other.root}); "
                "roots must not nest", reason="ROOT_NESTED",
                metadata={"root": root, "workspace": other.id})


def check_still_there(workspace: Workspace) -> None:
    """A registered root that vanished (deleted, unmounted, replaced by a file or a link) is
    FAILED_PRECONDITION on use, not an empty index."""
    if os.path.islink(workspace.root) or not os.path.isdir(workspace.root):
        raise FailedPrecondition(
            f"the root of workspace {workspace.id!r} ({workspace.root}) is no longer a "
            "directory; restore it or delete the workspace", reason="WORKSPACE_ROOT_MISSING",
            metadata={"workspace": workspace.id, "root": workspace.root})
