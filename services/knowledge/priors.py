"""What a question in sentences is most likely about: the implementation, not its tests or
its documentation.

Of the 128 hand-written "how / where / why" questions of bench/questions/ (click and rich,
written by reading their code), every answer is implementation code; an agent that asks how
something works wants the code that does it, and a test or a README section that mentions
the same words would otherwise rank beside it. So in hybrid ranking a natural-language query
scores test and documentation chunks at SUPPORT_SHARE of their fused score; a query that
names code (`test_discount`, `README.md`) ranks them as it ranks everything else. An agent
that wants none of them says so with the search filter's `exclude_roles`, which reads the
same rule (`roles`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from services.domain.models import Chunk

SUPPORT_SHARE = 0.5
TESTS = "tests"
DOCS = "docs"
ROLES = (TESTS, DOCS)  # what a search filter may leave out (SearchFilter.exclude_roles)
_DOC_LANGUAGES = frozenset({"markdown", "rst", "text"})
_TEST_FOLDERS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs"})
_DOC_FOLDERS = frozenset({"doc", "docs", "documentation", "examples"})


def roles(chunk: Chunk) -> frozenset[str]:
    """TESTS for a chunk of a test file or of a file under a test folder, DOCS for one of a
    documentation file or of a file under a docs folder; both for a README under tests/, none
    for implementation. The one rule the prior and the search filter share."""
    path = PurePosixPath(chunk.path)
    folders = {part.lower() for part in path.parts[:-1]}
    name = path.name.lower()
    stem = name.rsplit(".", 1)[0]
    test = (bool(folders & _TEST_FOLDERS) or name == "conftest.py" or stem.startswith("test_")
            or stem.endswith(("_test", ".test", "_spec", ".spec")))
    doc = chunk.language in _DOC_LANGUAGES or bool(folders & _DOC_FOLDERS)
    return frozenset((TESTS,) * test + (DOCS,) * doc)


def is_test_or_doc(chunk: Chunk) -> bool:
    """A chunk of a test file, a documentation file, or a file under such a folder."""
    return bool(roles(chunk))
