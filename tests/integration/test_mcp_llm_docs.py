"""search_docs' LLM provider (issue 14, item 10), through the SDK's in-memory MCP client, a
real gRPC server (its LockService) and the real `openai` client against the test
OpenAI-compatible server, whose chat answers the tests script and whose requests they read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowport.v1 import lock_service_pb2 as lpb
from services.storage.memory.adapter import MemoryStorage
from tests.integration.test_mcp_tools import _closed_port, bridge, call, small_workspace
from tests.support.grpc_server import running_server

# Words that are in no document and no code, so the local index and the KnowledgeService
# (over an empty index) find nothing and the chain reaches the LLM.
QUERY = "how long until a holder loses its turn"
TOKEN_CANARY = "ghp_" + "Canary0123456789abcdefghijABCDEFGHIJ"  # a GitHub token's shape
ENV_CANARY = "ENV-CANARY-7f3a"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = small_workspace(tmp_path / "ws")
    (root / "docs" / "expiry.md").write_text(
        "# Lease expiry\n\nA lease runs out after its TTL unless the holder renews it; then "
        "another agent may take the lock.\n")
    (root / "docs" / "keys.md").write_text(f"# Deploy keys\n\nUse {TOKEN_CANARY} to push.\n")
    (root / ".env.md").write_text(f"# Env\n\nPASSWORD={ENV_CANARY}\n")  # a secret's name
    return root


def _llm_env(llm, **extra: str) -> dict[str, str]:
    return {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "test-chat", **extra}


def _chats(llm) -> list:
    return [r for r in llm.requests if r.path.endswith("/chat/completions")]


async def test_the_llm_answers_when_the_index_and_the_knowledge_service_find_nothing(
        workspace, llm):
    llm.reset()
    llm.answer = json.dumps(["docs/expiry.md", "docs/invented.md", ".env.md", "docs/keys.md",
                             "../outside.md", "README.md", "docs/expiry.md"])
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port, **_llm_env(llm)) as client:
        found = await call(client, "search_docs", query=QUERY)

    assert found["provider"] == "llm", found
    assert found["skipped"] == ["local_index: no hits", "knowledge: no hits"]
    # Only documents the index holds, in the LLM's order, each once.
    assert [hit["path"] for hit in found["hits"]] == ["docs/expiry.md", "README.md"]
    assert found["hits"][0]["line"] == 1
    assert found["hits"][0]["snippet"].startswith("Lease expiry — A lease runs out")
    (request,) = _chats(llm)
    assert request.model == "test-chat"
    prompt = json.dumps(request.body)
    assert QUERY in prompt and "docs/expiry.md" in prompt and "Lease expiry" in prompt
    assert "docs/guide.md" in prompt and "notes.txt" in prompt  # every doc is a candidate
    for secret in (TOKEN_CANARY, ENV_CANARY, "docs/keys.md", ".env.md"):
        assert secret not in prompt  # the docs index never holds them


async def test_a_held_llm_lock_skips_the_llm_without_a_request(workspace, llm, storage):
    llm.reset()
    llm.answer = json.dumps(["docs/expiry.md"])
    async with running_server(storage, workspace) as server, \
            bridge(workspace, server.running.port, **_llm_env(llm)) as client:
        taken = await server.lock.AcquireLlmLock(
            lpb.AcquireLlmLockRequest(holder="agent-7", ttl_seconds=60))
        held = await call(client, "search_docs", query=QUERY)
        assert held["provider"] == "local_index" and held["hits"] == [], held
        assert held["skipped"] == ["knowledge: no hits", "llm: unavailable: LLM locked by agent-7"]
        assert _chats(llm) == []

        await server.lock.ReleaseLlmLock(lpb.ReleaseLlmLockRequest(lease_id=taken.lease_id))
        free = await call(client, "search_docs", query=QUERY)
        assert free["provider"] == "llm" and len(_chats(llm)) == 1


async def test_without_a_server_the_lock_cannot_be_checked_so_the_llm_is_not_asked(
        workspace, llm):
    llm.reset()
    async with bridge(workspace, _closed_port(), **_llm_env(llm)) as client:
        nothing = await call(client, "search_docs", query=QUERY)
    assert nothing["provider"] == "local_index" and nothing["hits"] == []
    reason = nothing["skipped"][-1]
    assert reason.startswith("llm: unavailable: cannot check the LLM lock: UNAVAILABLE"), reason
    assert _chats(llm) == []


@pytest.mark.parametrize("fault, why", [
    ("garbage", "did not answer with a JSON list of paths"),
    ("object without paths", "did not answer with a JSON list of paths"),
    ("status 500", "the LLM request failed"),
    ("stall", "the LLM did not answer within 0.5 s"),
])
async def test_an_llm_that_fails_is_skipped_with_its_reason_never_an_error(
        workspace, llm, fault, why):
    llm.reset()
    if fault == "garbage":
        llm.answer = "The README, I think."
    elif fault == "object without paths":
        llm.answer = json.dumps({"docs": ["README.md"]})
    elif fault == "status 500":
        llm.fail_next(1, status=500)
    else:
        llm.stall_next(1, seconds=5)
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port,
                   **_llm_env(llm, MCP_LLM_TIMEOUT_SECONDS="0.5")) as client:
        answer = await call(client, "search_docs", query=QUERY)  # not a tool error
    assert answer["provider"] == "local_index" and answer["hits"] == []
    llm_reason = answer["skipped"][-1]
    assert llm_reason.startswith("llm: failed: LlmDocsSearchFailed: ") and why in llm_reason
    assert len(_chats(llm)) == 1  # no retry: an agent is waiting


async def test_an_answer_in_an_object_or_a_code_fence_is_read(workspace, llm):
    llm.reset()
    llm.answer = '```json\n{"paths": ["notes.txt"]}\n```'
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port, **_llm_env(llm)) as client:
        found = await call(client, "search_docs", query=QUERY)
    assert found["provider"] == "llm" and [h["path"] for h in found["hits"]] == ["notes.txt"]


async def test_the_candidates_are_capped_with_the_related_docs_first(workspace, llm):
    llm.reset()
    llm.answer = "[]"
    async with running_server(MemoryStorage(), workspace) as server, \
            bridge(workspace, server.running.port,
                   **_llm_env(llm, MCP_LLM_MAX_DOCS="1")) as client:
        answer = await call(client, "search_docs", query="lease holder turn")
    assert answer["provider"] == "local_index" and answer["hits"] == []
    prompt = _chats(llm)[0].body["messages"][-1]["content"]
    # "lease" is in notes.txt and docs/expiry.md (and docs/guide.md: "renews every lease")
    # but "holder" only in docs/expiry.md, so OR ranks it first, and the cap is one document.
    assert prompt.count("path: ") == 1 and "path: docs/expiry.md" in prompt, prompt

