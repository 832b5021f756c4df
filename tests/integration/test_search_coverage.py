"""Search over a partly embedded index (the vectors layer still running): semantic and hybrid
rank the chunks that have vectors and say how much of the index that is. Both backends."""

from __future__ import annotations

import dataclasses

from knowport.v1 import ingest_service_pb2 as ingest_pb
from knowport.v1 import knowledge_service_pb2 as kn_pb
from tests.support.grpc_server import running_server
from tests.support.ingest_jobs import ingest_to_end
from tests.support.workspaces import write_files

FILES = {f"m{i}.py": f"def parse_{i}(text):\n    return text.split({i!r})\n" for i in range(4)}


async def search(server, mode: int) -> kn_pb.SearchResponse:
    return await server.knowledge.Search(kn_pb.SearchRequest(query="split the text", mode=mode))


async def test_semantic_and_hybrid_report_how_much_the_vectors_cover(storage, tmp_path, llm):
    env = {"OPENAI_API_BASE": llm.base_url, "EMBEDDING_BACKEND": "openai",
           "EMBEDDING_MODEL": "e"}
    async with running_server(storage, write_files(tmp_path, FILES), **env) as server:
        job = await ingest_to_end(server)
        assert job.state == ingest_pb.INGEST_JOB_STATE_SUCCEEDED, job.message
        full = await search(server, kn_pb.SEARCH_MODE_HYBRID)
        assert full.vector_coverage == 1.0
        assert not [n for n in full.notices if n.startswith("vectors cover")]

        # m0.py as the structure layer stores it: no vectors yet.
        ws = server.workspace.id
        record = await storage.get_file(ws, "m0.py")
        chunks = await storage.get_chunks(ws, "m0.py")
        await storage.replace_file(ws, dataclasses.replace(record, layers=frozenset(
            {"structure"})), [dataclasses.replace(c, embedding=None) for c in chunks])
        total = sum([len(await storage.get_chunks(ws, p)) for p in FILES])
        for mode in (kn_pb.SEARCH_MODE_SEMANTIC, kn_pb.SEARCH_MODE_HYBRID):
            partial = await search(server, mode)
            assert partial.effective_mode == mode
            embedded = total - len(chunks)
            assert partial.vector_coverage == embedded / total
            assert f"vectors cover {embedded * 100 // total} % of chunks ({embedded} of " \
                   f"{total})" in " ".join(partial.notices), partial.notices
            assert "m0.py" not in [hit.path for hit in partial.hits] or \
                mode == kn_pb.SEARCH_MODE_HYBRID
        lexical = await search(server, kn_pb.SEARCH_MODE_LEXICAL)
        assert lexical.vector_coverage == 0.0
        assert not [n for n in lexical.notices if n.startswith("vectors cover")]
