"""What a question in sentences is most likely about: the implementation, not its tests or
its documentation.

Of the 128 hand-written "how / where / why" questions of bench/questions/ (click and rich,
written by reading their code), every answer is implementation code; an agent that asks how
something works wants the code that does it, and a test or a README section that mentions
the same words would otherwise rank beside it. So in hybrid ranking a natural-language query
scores test and documentation chunks at SUPPORT_SHARE of their fused score; a query that
names code (`test_discount`, `README.md`) ranks them as it ranks everything else.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from services.domain.models import Chunk

SUPPORT_SHARE = 0.5
_DOC_LANGUAGES = frozenset({"markdown", "rst", "text"})
_SUPPORT_FOLDERS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "doc",
                              "docs", "documentation", "examples"})


def is_test_or_doc(chunk: Chunk) -> bool:
    """A chunk of a test file, a documentation file, or a file under such a folder."""
    path = PurePosixPath(chunk.path)
    name = path.name.lower()
    stem = name.rsplit(".", 1)[0]
    return (chunk.language in _DOC_LANGUAGES
            or any(part.lower() in _SUPPORT_FOLDERS for part in path.parts[:-1])
            or name == "conftest.py" or stem.startswith("test_")
            or stem.endswith(("_test", ".test", "_spec", ".spec")))
