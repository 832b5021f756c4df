"""The LLM docs provider's pure parts: what it tells the LLM about a document, and how it reads
the LLM's answer (services/mcp_bridge/llm_docs.py)."""

from __future__ import annotations

import pytest

from services.mcp_bridge.llm_docs import OPENING_CHARS, LlmDocsSearchFailed, answer_paths, doc_card


def test_a_markdown_card_has_the_first_heading_and_the_lines_after_it():
    card = doc_card("docs/a.md", "Intro line\n\n## Setup\n\nRun `make`.\nThen   serve.\n")
    assert card.title == "Setup"
    assert card.opening == "Intro line Run `make`. Then serve."


def test_a_restructuredtext_card_takes_the_underlined_title():
    card = doc_card("a.rst", "Overview\n========\n\nThe bridge speaks MCP.\n")
    assert (card.title, card.opening) == ("Overview", "The bridge speaks MCP.")


def test_without_a_heading_the_first_line_is_the_title_and_long_openings_are_cut():
    card = doc_card("notes.txt", "first line\n" + "word " * 500)
    assert card.title == "first line"
    assert len(card.opening) == OPENING_CHARS and card.opening.endswith("…")
    assert doc_card("empty.md", "") == doc_card("empty.md", "\n\n")


@pytest.mark.parametrize("answer, paths", [
    ('["a.md", "b.md"]', ["a.md", "b.md"]),
    ("[]", []),
    ('{"paths": ["a.md"]}', ["a.md"]),
    ('```json\n["a.md"]\n```', ["a.md"]),
])
def test_answers_that_are_lists_of_paths(answer, paths):
    assert answer_paths(answer) == paths


@pytest.mark.parametrize("answer", ["", "a.md", '["a.md", 3]', '{"docs": []}', '"a.md"',
                                    "null"])
def test_anything_else_is_an_unusable_answer(answer):
    with pytest.raises(LlmDocsSearchFailed, match="JSON list of paths"):
        answer_paths(answer)
