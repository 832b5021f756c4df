"""The docs index's tokenizer, query modes, paging rules and result budget (no I/O)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.domain.errors import InvalidArgument
from services.mcp_bridge.docs_errors import DocsArgumentError
from services.mcp_bridge.docs_query import MAX_QUERY_CHARS, Mode, parse_query, tokenize
from services.mcp_bridge.docs_results import (
    MAX_LIMIT,
    RESULT_BUDGET_CHARS,
    DocHit,
    fitting_hits,
    page_bounds,
)


def test_words_are_lower_cased_runs_of_letters_and_digits():
    assert tokenize("The Runtime-Loop, v2.0: get_chunks()!") == [
        "the", "runtime", "loop", "v2", "0", "get", "chunks"]


def test_unicode_words_are_normalised_and_case_folded():
    assert tokenize("Привет, МИР") == ["привет", "мир"]
    assert tokenize("Straße") == ["strasse"]  # case folding, not just lower()
    assert tokenize("the ﬁle") == ["the", "file"]  # NFKC undoes the ligature
    assert tokenize("Ｆｕｌｌｗｉｄｔｈ") == ["fullwidth"]


def test_emoji_and_symbols_separate_words():
    assert tokenize("hi😀there ✓ ok") == ["hi", "there", "ok"]


def test_each_ideograph_and_kana_is_a_word_of_its_own():
    # Chinese and Japanese write no spaces, so a run of them is not one long word.
    assert tokenize("東京・タワー is tall") == ["東", "京", "タ", "ワ", "ー", "is", "tall"]
    assert tokenize("한국어 문서") == ["한국어", "문서"]  # Hangul has spaces: whole words


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_the_fast_ascii_path_splits_exactly_like_the_definition(text):
    assert tokenize(text) == re.findall(r"[a-z0-9]+", text.lower())


@given(st.text())
def test_tokens_are_never_empty_and_hold_no_separators(text):
    for token in tokenize(text):
        assert token
        assert not re.search(r"[\W_]", token), token


@pytest.mark.parametrize(("query", "mode", "words"), [
    ("runtime loop", Mode.AND, ("runtime", "loop")),
    ("runtime OR loop", Mode.OR, ("runtime", "or", "loop")),
    ('"runtime loop"', Mode.PHRASE, ("runtime", "loop")),
    ('  "state of the art"  ', Mode.PHRASE, ("state", "of", "the", "art")),
    ("runtime or loop", Mode.AND, ("runtime", "or", "loop")),  # only upper-case OR is OR
    ("ORACLE ORDER", Mode.AND, ("oracle", "order")),  # OR must stand alone
    ('"runtime loop" OR x', Mode.OR, ("runtime", "loop", "or", "x")),  # no nesting
    ('"x OR y"', Mode.PHRASE, ("x", "or", "y")),
    ('"', Mode.AND, None),  # a lone quote is no phrase (and no words: an error)
])
def test_the_mode_is_inferred_as_the_adr_describes(query, mode, words):
    if words is None:
        with pytest.raises(DocsArgumentError):
            parse_query(query)
        return
    parsed = parse_query(query)
    assert (parsed.mode, parsed.words) == (mode, words)


def test_stop_words_are_left_out_of_and_or_and_reported():
    parsed = parse_query("the runtime of a loop")
    assert parsed.terms == ("runtime", "loop")
    assert parsed.ignored == ("the", "of", "a")
    either = parse_query("runtime OR the loop")
    assert either.terms == ("runtime", "loop")
    assert either.ignored == ("the",)  # the OR operator is not reported as ignored


def test_a_phrase_keeps_its_stop_words():
    parsed = parse_query('"state of the art"')
    assert parsed.words == ("state", "of", "the", "art")
    assert parsed.ignored == ()


def test_an_explicit_mode_wins_over_inference():
    assert parse_query('"runtime loop"', "and").mode is Mode.AND
    assert parse_query("runtime loop", "OR").mode is Mode.OR
    phrase = parse_query('"runtime loop"', "phrase")
    assert phrase.words == ("runtime", "loop")  # the quotes are not words either way


@pytest.mark.parametrize(("query", "mode"), [
    ("runtime", "fuzzy"),
    ("", None),
    ("   ", None),
    ("?! -- ...", None),
    ("x" * (MAX_QUERY_CHARS + 1), None),
    (None, None),
])
def test_malformed_queries_are_the_callers_error(query, mode):
    with pytest.raises(DocsArgumentError) as caught:
        parse_query(query, mode)
    # One exception, two readings: a ValueError to Python, INVALID_ARGUMENT to the transport.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, InvalidArgument)


def test_paging_rules():
    assert page_bounds(20, 0) == (20, 0)
    assert page_bounds(MAX_LIMIT + 500, 40) == (MAX_LIMIT, 40)  # too large: lowered
    for limit, offset in [(0, 0), (-1, 0), (10, -1), (True, 0), (10, 1.5)]:
        with pytest.raises(DocsArgumentError):
            page_bounds(limit, offset)


def test_hits_are_cut_to_the_budget_measured_as_json():
    plain = [DocHit(f"docs/{i}.md", 1.0, 1, "x" * 200) for i in range(100)]
    assert fitting_hits(plain) == 100
    # Control characters take six characters each in JSON; quotes two.
    nasty = [DocHit("d/" + '"' * 300, 1.0, 1, "\x01" * 200) for _ in range(100)]
    fits = fitting_hits(nasty)
    assert 0 < fits < 100
    encoded = json.dumps([hit.to_dict() for hit in nasty[:fits]], ensure_ascii=False)
    assert len(encoded) <= RESULT_BUDGET_CHARS
    one_more = json.dumps([hit.to_dict() for hit in nasty[:fits + 1]], ensure_ascii=False)
    assert len(one_more) > RESULT_BUDGET_CHARS  # and no hit that fits is left out
