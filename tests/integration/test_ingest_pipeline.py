"""The ingestion pipeline end to end: a real workspace on disk, real storage, and a real
OpenAI-compatible HTTP server that counts the requests the pipeline makes."""

from __future__ import annotations

import os
from pathlib import Path

from services.domain.models import JobState
from tests.support.grpc_server import settings_for
from tests.support.openai_server import OpenAIServer
from tests.support.workspaces import index

CHAT, EMBED = "/chat/completions", "/embeddings"

APP = '''"""Greeting helpers."""


def greet(name):
    """Say hello."""
    return f"hello {name}"


class Greeter:
    def __init__(self, prefix):
        self.prefix = prefix

    def shout(self, name):
        return greet(name).upper()
'''

UTIL_JS = '''export function add(a, b) {
  return a + b;
}

export class Counter {
  increment() {
    this.n = (this.n || 0) + 1;
  }
}
'''

README = "# Demo\n\nA tiny project.\n\n## Usage\n\nCall greet.\n"


def make_workspace(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "app.py").write_text(APP)
    (root / "pkg" / "util.js").write_text(UTIL_JS)
    (root / "README.md").write_text(README)
    return root


def model_settings(root: Path, llm: OpenAIServer, **env: str):
    return settings_for(root, OPENAI_API_BASE=llm.base_url, LLM_MODEL="test-chat",
                        EMBEDDING_BACKEND="openai", EMBEDDING_MODEL="test-embed", **env)


async def index_state(storage, workspace_id: str) -> dict:
    """Everything a run leaves behind, for comparing runs."""
    state = {}
    for record in await storage.list_files(workspace_id):
        chunks = await storage.get_chunks(workspace_id, record.path)
        state[record.path] = (record.content_hash, record.summary, record.language, [
            (c.id, c.symbol, c.kind, c.start_line, c.end_line, c.description, c.purpose,
             c.embedding) for c in chunks])
    return state


async def test_first_run_indexes_enriches_and_embeds_everything(tmp_path, llm, storage):
    settings = model_settings(make_workspace(tmp_path), llm)
    llm.reset()
    workspace, job = await index(settings, storage)
    assert job.state is JobState.SUCCEEDED, job.message
    assert job.counts["files_persisted"] == 3 and job.counts["files_failed"] == 0
    state = await index_state(storage, workspace.id)
    assert set(state) == {"pkg/app.py", "pkg/util.js", "README.md"}
    chunks = [c for _, summary, _, cs in state.values() for c in cs]
    assert all(c[5] and c[6] for c in chunks), "every chunk has a description and purpose"
    assert all(c[7] is not None for c in chunks), "every chunk has an embedding"
    assert all(summary for _, summary, _, _ in state.values())
    symbols = {c[1] for c in state["pkg/app.py"][3]}
    assert {"greet", "Greeter"} <= symbols | {s.split(".")[0] for s in symbols}
    assert llm.count(CHAT) >= len(chunks) and llm.count(EMBED) >= 1


async def test_second_run_makes_zero_model_requests(tmp_path, llm, storage):
    settings = model_settings(make_workspace(tmp_path), llm)
    workspace, _ = await index(settings, storage)
    before = await index_state(storage, workspace.id)
    llm.reset()
    _, job = await index(settings, storage)
    assert llm.count() == 0
    assert job.counts["files_unchanged"] == 3 and job.counts["files_persisted"] == 0
    assert await index_state(storage, workspace.id) == before

    # Touched (mtime changed, same bytes): still no model request, and the index is the same.
    app = tmp_path / "pkg" / "app.py"
    os.utime(app, ns=(app.stat().st_atime_ns, app.stat().st_mtime_ns + 10_000_000))
    _, job = await index(settings, storage)
    assert llm.count() == 0
    assert await index_state(storage, workspace.id) == before


async def test_a_one_line_edit_re_enriches_and_re_embeds_only_that_chunk(tmp_path, llm,
                                                                         storage):
    settings = model_settings(make_workspace(tmp_path), llm)
    workspace, _ = await index(settings, storage)
    before = await index_state(storage, workspace.id)
    app = tmp_path / "pkg" / "app.py"
    app.write_text(APP.replace('return f"hello {name}"', 'return f"hi {name}"'))
    llm.reset()
    _, job = await index(settings, storage)
    assert job.counts["files_persisted"] == 1 and job.counts["files_unchanged"] == 2
    chat = [r for r in llm.requests if r.path.endswith(CHAT)]
    embeds = [r for r in llm.requests if r.path.endswith(EMBED)]
    # One description for the edited chunk, one new summary for its file.
    assert len(chat) == 2
    # The edited chunk's text by the vectors layer, then with its description (the layers:
    # services/ingestor/layers.py); every other chunk's vectors come from the cache.
    assert sum(r.inputs for r in embeds) == 2
    after = await index_state(storage, workspace.id)
    changed = [a for a, b in zip(after["pkg/app.py"][3], before["pkg/app.py"][3], strict=True)
               if a != b]
    assert len(changed) == 1 and changed[0][1] == "greet"
    assert {p: s for p, s in after.items() if p != "pkg/app.py"} == {
        p: s for p, s in before.items() if p != "pkg/app.py"}


async def test_chunk_ids_are_stable_and_deleted_files_leave_the_index(tmp_path, llm, storage):
    settings = model_settings(make_workspace(tmp_path), llm)
    workspace, _ = await index(settings, storage)
    ids = {c[0] for _, _, _, cs in (await index_state(storage, workspace.id)).values()
           for c in cs}
    _, job = await index(settings, storage, full=True)
    assert job.counts["files_persisted"] == 3
    assert ids == {c[0] for _, _, _, cs in (await index_state(storage, workspace.id)).values()
                   for c in cs}
    (tmp_path / "pkg" / "util.js").unlink()
    _, job = await index(settings, storage)
    assert job.counts["files_deleted"] == 1
    assert set(await index_state(storage, workspace.id)) == {"pkg/app.py", "README.md"}


async def test_without_models_the_job_says_what_it_skipped(tmp_path, storage):
    settings = settings_for(make_workspace(tmp_path))  # no LLM, EMBEDDING_BACKEND=none
    workspace, job = await index(settings, storage)
    assert job.state is JobState.SUCCEEDED
    assert "enrichment skipped: no LLM configured" in job.message
    assert "embeddings skipped" in job.message
    chunks = [c for _, _, _, cs in (await index_state(storage, workspace.id)).values()
              for c in cs]
    assert chunks and not any(c[5] or c[7] for c in chunks)  # nothing invented


async def test_a_failing_endpoint_fails_only_its_files_which_the_next_run_retries(
        tmp_path, llm, storage):
    settings = model_settings(make_workspace(tmp_path), llm)
    llm.reset()
    llm.fail_next(1000, status=400)  # not transient: every request fails at once
    workspace, job = await index(settings, storage)
    assert job.state is JobState.SUCCEEDED
    # Searchable all the same: the structure is stored; the vectors (and so the descriptions
    # after them) failed.
    assert job.counts["files_failed"] == 3 and job.counts["files_persisted"] == 3
    assert all(reason.startswith("failed: vectors: ") for _, reason in job.skipped)
    assert "will be retried" in job.message
    assert [sorted(f.layers) for f in await storage.list_files(workspace.id)] == [
        ["structure"]] * 3
    llm.reset()
    _, job = await index(settings, storage)
    assert job.counts["files_failed"] == 0
    assert (job.counts["files_persisted"], job.counts["files_unchanged"]) == (0, 3)
    assert (job.counts["files_embedded"], job.counts["files_enriched"]) == (3, 3)
    assert [sorted(f.layers) for f in await storage.list_files(workspace.id)] == [
        ["descriptions", "structure", "vectors"]] * 3
