"""Path globs as regular expressions that mean the same in Python `re` and PostgreSQL `~`.

The memory adapter matches with `re`, the PostgreSQL adapter with `path ~ regex`, so the
translation sticks to what both engines read alike: `(?s)` (dot matches newline; PostgreSQL's
default anyway), `^`, `\\Z` (end of string; `$` would also match before a final newline in
Python), `(?:...)`, bracket classes, and a backslash only ever in front of a character that is
not a letter or digit, which both engines take literally.

Semantics follow .gitignore: `**/` is zero or more folders, `**` anything, `*` anything but
`/`, `?` one character but `/`, `[...]` a class (`[!...]` negated). A glob with no `/` matches
the file's name at any depth (`*.md`); a leading `/` anchors at the workspace root; a trailing
`/` means everything below that folder.
"""

from __future__ import annotations

from services.domain.errors import InvalidArgument

_ANY_FOLDERS = "(?:.*/)?"


def _literal(char: str) -> str:
    return char if char.isalnum() or char in "_/-" else "\\" + char


def _member(char: str) -> str:
    return char if char.isalnum() else "\\" + char


def _class(glob: str, start: int) -> tuple[str, int] | None:
    """Translate the class opening at glob[start] == '['; None when it never closes."""
    i = start + 1
    negate = i < len(glob) and glob[i] in "!^"
    if negate:
        i += 1
    body: list[str] = []
    range_open = False  # the previous member may start a range (it is not a range's end)
    while i < len(glob) and (glob[i] != "]" or not body):  # a leading ']' is a member
        char = glob[i]
        if char == "-" and range_open and i + 1 < len(glob) and glob[i + 1] != "]":
            if glob[i + 1] < glob[i - 1]:  # both engines reject a reversed range
                raise InvalidArgument(f"path glob {glob!r} has a reversed range",
                                      metadata={"field": "path_glob"})
            body.append("-" + _member(glob[i + 1]))
            range_open = False
            i += 2
            continue
        body.append(_member(char))
        range_open = True
        i += 1
    if i >= len(glob):
        return None
    if negate:  # like `*` and `?`, a negated class never matches the folder separator
        return "[^" + "".join(body) + "/]", i + 1
    return "[" + "".join(body) + "]", i + 1


def glob_to_regex(glob: str) -> str:
    """An anchored regex for `glob`, for `re.match` and for PostgreSQL's `~`."""
    if glob.endswith("/"):
        glob += "**"
    if glob.startswith("/"):
        glob, prefix = glob[1:], ""
    else:
        prefix = "" if "/" in glob else _ANY_FOLDERS
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append(_ANY_FOLDERS)
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and (translated := _class(glob, i)) is not None:
            part, i = translated
            out.append(part)
        else:
            out.append(_literal(char))
            i += 1
    return "(?s)^" + prefix + "".join(out) + "\\Z"
