"""Each request limit has one home (services/domain/limits.py); the contract's comments state
the same numbers, so a person reading the .proto and the server agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.domain import limits

PROTO = Path(__file__).resolve().parents[2] / "proto" / "knowport" / "v1"

# Fields of that name in every request message, and the numbers their comment must state.
BY_NAME = {
    "workspace": [limits.WORKSPACE_BYTES],
    "query": [limits.QUERY_BYTES],
    "path_glob": [limits.PATH_GLOB_BYTES],
    "languages": [limits.MAX_LANGUAGES, limits.LANGUAGE_BYTES],
    "kinds": [limits.MAX_KINDS],
    "job_id": [limits.ID_BYTES],
    "request_id": [limits.ID_BYTES],
    "holder": [limits.ID_BYTES],
    "lease_id": [limits.ID_BYTES],
    "workspaces": [limits.MAX_SEARCH_WORKSPACES, limits.WORKSPACE_BYTES],
    "display_name": [limits.WORKSPACE_NAME_BYTES],
    "root": [limits.PATH_BYTES],
    "name": [limits.SYMBOL_NAME_BYTES],
    "prefix": [limits.SYMBOL_NAME_BYTES],
    "qualified_name": [limits.SYMBOL_NAME_BYTES],
}
BY_FIELD = {
    ("SearchRequest", "page_size"): limits.SEARCH_PAGE,
    ("ListIngestJobsRequest", "page_size"): limits.JOBS_PAGE,
    ("ListSkippedFilesRequest", "page_size"): limits.SKIPPED_FILES_PAGE,
    ("GetOverviewRequest", "max_depth"): limits.OVERVIEW_DEPTH,
    ("ListWorkspacesRequest", "page_size"): limits.WORKSPACES_PAGE,
    ("GetFileContextRequest", "path"): limits.PATH_BYTES,
    ("FindSymbolsRequest", "page_size"): limits.SYMBOLS_PAGE,
    ("FindSymbolsRequest", "path_glob"): limits.PATH_GLOB_BYTES,
    ("FindReferencesRequest", "path"): limits.PATH_BYTES,
    ("FindReferencesRequest", "page_size"): limits.REFERENCES_PAGE,
    ("FindReferencesRequest", "reference_kinds"): limits.MAX_REFERENCE_KINDS,
    ("GetCallGraphRequest", "path"): limits.PATH_BYTES,
    ("GetCallGraphRequest", "depth"): limits.CALL_GRAPH_DEPTH,
    ("GetCallGraphRequest", "max_nodes"): limits.CALL_GRAPH_NODES,
    ("GetImpactRequest", "path"): limits.PATH_BYTES,
    ("GetImpactRequest", "page_size"): limits.REFERENCES_PAGE,
    ("StartIngestRequest", "paths"): limits.INGEST_PATHS,
}


def _request_fields() -> dict[tuple[str, str], str]:
    """(message, field) -> the comment right above the field, for request messages."""
    fields = {}
    for proto in sorted(PROTO.glob("*.proto")):
        message, comment = "", []
        for line in proto.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if found := re.match(r"message (\w+) \{", stripped):
                message, comment = found[1], []
            elif stripped.startswith("//"):
                comment.append(stripped[2:].strip())
            elif found := re.match(r"(?:repeated )?[\w.]+ (\w+) = \d+;", stripped):
                if message.endswith("Request") or message == "SearchFilter":
                    fields[(message, found[1])] = " ".join(comment)
                comment = []
            else:
                comment = []
    return fields


def _wanted() -> list[tuple[str, str, int]]:
    fields = _request_fields()
    wanted = [(m, f, n) for (m, f) in fields for n in BY_NAME.get(f, [])]
    for (message, field), rule in BY_FIELD.items():
        assert (message, field) in fields, f"{message}.{field} is not in the contract"
        numbers = [rule.default, rule.maximum] if isinstance(rule, limits.Count) else [rule]
        wanted += [(message, field, n) for n in numbers]
    return wanted


def _states(comment: str, number: int) -> bool:
    return re.search(rf"(?<![\d,]){number:,}(?![\d,])|(?<!\d){number}(?!\d)", comment) is not None


@pytest.mark.parametrize("message,field,number", _wanted(), ids=lambda v: str(v))
def test_the_contract_states_each_limit_where_the_field_is(message, field, number):
    comment = _request_fields()[(message, field)]
    assert _states(comment, number), f"{message}.{field}: say {number:,} in its comment"


def test_the_check_reads_numbers_as_written():
    assert _states("at most 2,000 bytes", 2000) and _states("at most 128 bytes", 128)
    assert not _states("at most 12,800 bytes", 128) and not _states("1280", 128)


def test_counts_use_the_default_for_zero_and_lower_what_is_too_large():
    assert limits.SEARCH_PAGE.of(0) == 10 and limits.SEARCH_PAGE.of(500) == 50
    assert limits.OVERVIEW_DEPTH.of(5) == 5
