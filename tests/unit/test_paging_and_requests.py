from __future__ import annotations

import pytest

from knowport.v1 import knowledge_service_pb2 as pb
from services.domain import limits
from services.domain.errors import InvalidArgument
from services.rpc import paging
from services.rpc.requests import bounded_text, enum_value, page_size


def test_page_size_defaults_lowers_and_rejects_negative():
    count = limits.Count(default=10, maximum=50)
    assert page_size(0, count) == 10
    assert page_size(500, count) == 50
    assert page_size(7, count) == 7
    with pytest.raises(InvalidArgument, match="must not be negative"):
        page_size(-1, count)


def test_enum_value_rejects_unknown_numbers_and_optionally_unspecified():
    assert enum_value(pb.SEARCH_MODE_LEXICAL, pb.SearchMode, "mode") == pb.SEARCH_MODE_LEXICAL
    with pytest.raises(InvalidArgument, match="mode has no value 12"):
        enum_value(12, pb.SearchMode, "mode")
    with pytest.raises(InvalidArgument):
        enum_value(0, pb.SymbolKind, "kinds", allow_unspecified=False)


def test_bounded_text_counts_bytes_not_characters():
    bounded_text("é" * 5, "q", max_bytes=10)
    with pytest.raises(InvalidArgument, match="11 bytes"):
        bounded_text("é" * 5 + "a", "q", max_bytes=10)
    with pytest.raises(InvalidArgument, match="required"):
        bounded_text("  ", "q", max_bytes=10, required=True)


def test_page_tokens_round_trip_and_reject_foreign_or_forged_tokens():
    owner = paging.fingerprint("search", "q", 1)
    token = paging.encode_token(40, owner)
    assert paging.decode_token(token, owner, int) == 40
    assert paging.decode_token("", owner, int) is None
    with pytest.raises(InvalidArgument, match="different request"):
        paging.decode_token(token, paging.fingerprint("search", "other", 1), int)
    with pytest.raises(InvalidArgument, match="not a token"):
        paging.decode_token("%%%", owner, int)
    with pytest.raises(InvalidArgument, match="not a token"):
        paging.decode_token(paging.encode_token("forty", owner), owner, int)
    with pytest.raises(InvalidArgument, match="not a token"):
        paging.decode_token(paging.encode_token(-3, owner), owner, int)
