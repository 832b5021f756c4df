"""Arguments that fail an MCP tool's input schema come back as one tool-error line in the
README's form (`INVALID_ARGUMENT: <field>: <the limit> (got ...); what to do`), through the
SDK's in-memory client; the schema is checked before any gRPC call, so no server is needed."""

from __future__ import annotations

import pytest

from tests.integration.test_mcp_tools import bridge, failure, small_workspace

PREFIX = "Error executing tool {}: INVALID_ARGUMENT: "


@pytest.mark.parametrize(("tool", "arguments", "field", "limit"), [
    ("search_code", {"query": "x", "page_size": 0}, "page_size", "greater than or equal to 1"),
    ("search_code", {"query": "x", "page_size": 500}, "page_size", "less than or equal to 50"),
    ("search_code", {"query": "q" * 2001}, "query", "at most 2000 characters"),
    ("search_code", {"query": "x", "page_size": "many"}, "page_size", "valid integer"),
    ("get_file_context", {"path": "a.py", "start_line": 0}, "start_line", "greater than"),
    ("search_docs", {"query": "x", "limit": 51}, "limit", "less than or equal to 50"),
    ("search_code", {}, "query", "required"),
])
async def test_bad_arguments_are_one_line_naming_field_and_limit(tmp_path, tool, arguments,
                                                                 field, limit):
    async with bridge(small_workspace(tmp_path / "ws"), 1) as client:
        text = await failure(client, tool, **arguments)
    assert "\n" not in text, text
    assert text.startswith(PREFIX.format(tool)), text
    assert f"{field}: " in text or f"{field} is required" in text, text
    assert limit in text, text
    assert "pydantic" not in text and "http" not in text, text
    assert text.endswith("fix that argument and call again"), text
    assert "q" * 100 not in text  # a long input is named by its length, not echoed
