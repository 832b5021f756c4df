"""The LLM lock held for a whole ingest, against the recording OpenAI-compatible server: the
structure layer completes and is searchable, no LLM request is sent, and after the release
the later layers resume and complete. Endpoint embeddings wait with the descriptions while
LLM_LOCK_GATES_EMBEDDINGS is true, and go on without them when it is false. Both backends."""

from __future__ import annotations

import pytest

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import knowledge_service_pb2 as kn_pb
from knowport.v1 import lock_service_pb2 as lock_pb
from tests.support.grpc_server import running_server
from tests.support.index_state import index_state
from tests.support.ingest_jobs import finished_job, job_until
from tests.support.openai_server import OpenAIServer
from tests.support.workspaces import write_files

FILES = 8


def model_env(llm: OpenAIServer, gates_embeddings: bool) -> dict[str, str]:
    return {"OPENAI_API_BASE": llm.base_url, "LLM_MODEL": "m", "EMBEDDING_BACKEND": "openai",
            "EMBEDDING_MODEL": "e",
            "LLM_LOCK_GATES_EMBEDDINGS": "true" if gates_embeddings else "false"}


def layers_of(progress) -> dict[str, tuple[int, int]]:
    return {layer.layer: (layer.files_done, layer.files_total) for layer in progress.layers}


@pytest.mark.parametrize("gates_embeddings", [True, False], ids=["gated", "ungated"])
async def test_a_lock_held_for_the_whole_run_holds_back_only_llm_work(
        storage, tmp_path, llm, gates_embeddings):
    workspace = write_files(tmp_path, {f"m{i}.py": f"def tokenize_{i}(text):\n"
                                       f"    return text.split({i!r})\n" for i in range(FILES)})
    llm.reset()
    env = model_env(llm, gates_embeddings)
    async with running_server(storage, workspace, **env) as server:
        held = await server.lock.AcquireLlmLock(lock_pb.AcquireLlmLockRequest(
            holder="agent-7", ttl_seconds=120))
        job_id = (await server.ingest.StartIngest(ingest_pb.StartIngestRequest())).job.job_id

        vectors = (0, FILES) if gates_embeddings else (FILES, FILES)
        job = await job_until(server, job_id, lambda j: layers_of(j.progress) == {
            "structure": (FILES, FILES), "vectors": vectors, "descriptions": (0, FILES)}
            and j.state == ingest_pb.INGEST_JOB_STATE_PAUSED)
        waiting = {layer.layer: layer.waiting_reason for layer in job.progress.layers}
        assert waiting["descriptions"].startswith("paused: LLM locked by agent-7 until ")
        assert waiting["structure"] == ""
        assert bool(waiting["vectors"]) == gates_embeddings
        assert llm.count("/chat/completions") == 0, "an LLM request was sent under the lock"
        assert llm.count("/embeddings") == (0 if gates_embeddings else llm.count())

        # Searchable already: by words, and (ungated) by meaning too.
        found = await server.knowledge.Search(kn_pb.SearchRequest(
            query="tokenize_3", mode=kn_pb.SEARCH_MODE_LEXICAL))
        assert [h.path for h in found.hits][:1] == ["m3.py"]
        stats = await server.ingest.GetStats(ingest_pb.GetStatsRequest())
        assert {layer.layer: layer.files_done for layer in stats.layers} == {
            "structure": FILES, "vectors": vectors[0], "descriptions": 0}
        assert [layer.waiting_reason != "" for layer in stats.layers] == [
            False, gates_embeddings, True]

        await server.lock.ReleaseLlmLock(lock_pb.ReleaseLlmLockRequest(lease_id=held.lease_id))
        final = await finished_job(server, job_id)
        assert final.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED, final.message
        assert layers_of(final.progress) == {"structure": (FILES, FILES),
                                             "vectors": (FILES, FILES),
                                             "descriptions": (FILES, FILES)}
        state = await index_state(storage, server.workspace.id)
    assert all(summary and all(chunk[5] and chunk[7] for chunk in chunks)
               for _, summary, chunks, _ in state.values())
    assert llm.count("/chat/completions") > 0
