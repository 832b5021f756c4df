"""What a request may hold: one number per rule.

The servicers enforce these, the MCP tool schemas advertise them, the tests read them, and
tests/unit/test_limits.py checks that the proto comments state the same numbers. Text limits
count UTF-8 bytes, as the servicers do; an MCP schema states the same number as its
`max_length` (characters), so every text within the byte limit passes the schema, and a text
longer in bytes than in characters is refused by the server, which names the field.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE_BYTES = 256
QUERY_BYTES = 2_000
PATH_BYTES = 4_096
PATH_GLOB_BYTES = 512
LANGUAGE_BYTES = 64  # each entry of filter.languages
MAX_LANGUAGES = 32
MAX_KINDS = 16
ID_BYTES = 128  # job ids, idempotency keys (request_id), lease ids, lock holders
WORKSPACE_NAME_BYTES = 256  # a workspace's display name
MAX_SEARCH_WORKSPACES = 16  # workspaces one search ranks across
INGEST_PATHS = 1_000  # StartIngest.paths; each at most PATH_BYTES
PAGE_TOKEN_BYTES = 4_096  # what a client may send back; the server's tokens are far shorter
# The smallest response budget a caller may ask for (metadata knowport-budget-bytes, which the
# HTTP gateway sends to fit its larger JSON); smaller asks are raised to it.
MIN_ASKED_BUDGET_BYTES = 1_024


@dataclass(frozen=True)
class Count:
    """A count where 0 means `default` and more than `maximum` is lowered to it (AIP-158)."""

    default: int
    maximum: int

    def of(self, requested: int) -> int:
        return min(requested or self.default, self.maximum)


SEARCH_PAGE = Count(default=10, maximum=50)
JOBS_PAGE = Count(default=20, maximum=100)
SKIPPED_FILES_PAGE = Count(default=100, maximum=500)
OVERVIEW_DEPTH = Count(default=3, maximum=8)
WORKSPACES_PAGE = Count(default=50, maximum=200)

# The symbol graph (FindSymbols, FindReferences, GetCallGraph, GetImpact).
SYMBOL_NAME_BYTES = 512  # name, prefix, qualified_name
MAX_REFERENCE_KINDS = 5
SYMBOLS_PAGE = Count(default=50, maximum=200)
REFERENCES_PAGE = Count(default=100, maximum=500)
CALL_GRAPH_DEPTH = Count(default=2, maximum=5)
CALL_GRAPH_NODES = Count(default=50, maximum=200)
