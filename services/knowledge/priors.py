"""What a question in sentences is most likely about: code that does something, in the
implementation, in a hit short enough to read.

Of the 126 hand-written "how / where / why" questions of bench/questions/ (click and rich,
written by reading their code), every answer is a function or method of the implementation;
an agent that asks how something works wants the code that does it. So in hybrid ranking a
natural-language query scores, relative to their fused score (`question_prior`):
- test and documentation chunks at SUPPORT_SHARE: a test or a README section that mentions
  the same words would otherwise rank beside the code;
- class headers and module-level chunks at DECLARATION_SHARE: a declaration shares the
  words and the meaning of the methods it holds, and answered none of the questions;
- chunks longer than LONG_LINES at (LONG_LINES / their length) squared: a 170-line function is
  a poor answer to read even when it is the right place (the retrieval bench does not count
  answers over 80 lines), and a long chunk shares words and meaning with many questions.
On the tune part of bench/retrieval.py the declaration share added 0.004-0.007 MRR@10. The
length share, squared rather than linear, raised the questions' MRR@10 over answers of at
most 80 lines from 0.586 to 0.600 (two short answers moved above long chunks that did not
answer) for 0.0015 MRR@10 (two long answers moved down a place or three); docstring queries
stayed within 0.0002. A linear share from 60 lines, or squared from 60, lost 0.03 MRR@10.
A query that names code (`test_discount`, `README.md`, `Style`) ranks everything alike. An
agent that wants no tests or docs at all says so with the search filter's `exclude_roles`,
which reads the same rule (`roles`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from services.domain.models import Chunk

SUPPORT_SHARE = 0.5
DECLARATION_SHARE = 0.5
DECLARATIONS = frozenset({"class", "module"})  # Chunk.kind of a class header, module code
LONG_LINES = 80
LONG_POWER = 2  # how steeply the share falls past LONG_LINES (module doc)
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


def question_prior(chunk: Chunk, long_power: float = LONG_POWER) -> float:
    """The share of its fused score a chunk keeps for a question in sentences (module doc);
    `long_power` is there for the retrieval bench's tuning grid."""
    share = SUPPORT_SHARE if is_test_or_doc(chunk) else 1.0
    if chunk.kind in DECLARATIONS:
        share *= DECLARATION_SHARE
    lines = chunk.end_line - chunk.start_line + 1
    return share * min(1.0, LONG_LINES / lines) ** long_power
