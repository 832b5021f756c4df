"""The Enrich and Embed stages against a real HTTP server speaking the OpenAI API.

The real `openai` client talks to tests/support/openai_server.py over loopback, and the caches
live in a real MemoryStorage; the local embedder runs the real all-MiniLM-L6-v2.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.domain.models import Chunk, content_hash
from services.inference.embedder import LOCAL_DIMENSIONS, LOCAL_MODEL_KEY, EmbeddingFailed
from services.inference.llm import OpenGate, make_client
from services.inference.openai_embedder import OpenAIEmbedder
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.embed import EmbedStage, embedding_text
from services.ingestor.enrich import Enricher, EnrichmentFailed
from services.storage.memory.adapter import MemoryStorage
from tests.support.openai_server import OpenAIServer, embed_text

CHAT, EMBED = "/chat/completions", "/embeddings"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as running:
        yield running


@pytest.fixture(autouse=True)
def clean_server(server):
    server.reset()
    yield


@pytest.fixture
async def client(server):
    client = make_client(server.base_url, timeout=10)
    yield client
    await client.close()


@pytest.fixture
def storage():
    return MemoryStorage()


def chunk(name: str, body: str = "return 1", path: str = "pkg/mod.py",
          start_line: int = 1) -> Chunk:
    text = f"def {name}(x):\n    {body}\n"
    return Chunk(id=f"{path}:{start_line}", path=path, start_line=start_line,
                 end_line=start_line + 1, symbol=name, kind="function", language="python",
                 text=text, content_hash=content_hash(text))


def enricher(client, storage, gate=None, **options) -> Enricher:
    options = {"backoff_base": 0.05, **options}
    return Enricher(client, "test-chat", storage, gate or OpenGate(), **options)


class CountingGate:
    """Records when it was consulted; closed until `opened` is set."""

    def __init__(self, opened: bool = True) -> None:
        self.calls: list[float] = []
        self.opened = asyncio.Event()
        if opened:
            self.opened.set()

    async def wait_open(self) -> None:
        await self.opened.wait()
        self.calls.append(time.monotonic())


# --- enrichment ----------------------------------------------------------------------------

async def test_each_chunk_is_described_by_the_llm(server, client, storage):
    chunks = [chunk("parse_config"), chunk("load_rules", start_line=5)]

    enriched = await enricher(client, storage).enrich(chunks)

    assert [c.description for c in enriched] == ["Description of parse_config.",
                                                 "Description of load_rules."]
    assert [c.purpose for c in enriched] == ["Purpose of parse_config.",
                                             "Purpose of load_rules."]
    assert [c.id for c in enriched] == [c.id for c in chunks]
    assert server.count(CHAT) == 2
    assert {r.model for r in server.requests} == {"test-chat"}


async def test_identical_chunks_are_described_once(server, client, storage):
    twins = [chunk("helper", path="a.py"), chunk("helper", path="b.py")]

    enriched = await enricher(client, storage).enrich(twins)

    assert server.count(CHAT) == 1
    assert enriched[0].description == enriched[1].description == "Description of helper."


async def test_a_second_run_is_served_from_the_cache(server, client, storage):
    chunks = [chunk(f"fn_{i}", start_line=3 * i) for i in range(5)]
    first = await enricher(client, storage).enrich(chunks)
    server.reset()

    again = enricher(client, storage)  # a new run: only the storage remembers
    second = await again.enrich(chunks)

    assert server.count() == 0
    assert second == first
    assert (again.counters.requests, again.counters.cache_hits) == (0, 5)


async def test_changing_one_chunk_makes_exactly_one_request(server, client, storage):
    chunks = [chunk(f"fn_{i}", start_line=3 * i) for i in range(4)]
    await enricher(client, storage).enrich(chunks)
    server.reset()

    chunks[2] = chunk("fn_2", body="return 2", start_line=6)
    await enricher(client, storage).enrich(chunks)

    assert server.count(CHAT) == 1
    assert "return 2" in server.requests[0].body["messages"][-1]["content"]


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_failures_are_retried_with_backoff(server, client, storage, status):
    server.fail_next(2, status)
    run = enricher(client, storage, backoff_base=0.2)

    [enriched] = await run.enrich([chunk("flaky")])

    assert enriched.description == "Description of flaky."
    starts = [r.started for r in server.requests]
    assert [r.status for r in server.requests] == [status, status, 200]
    # attempt n waits at least half of backoff_base * 2**(n-1)
    assert starts[1] - starts[0] >= 0.1
    assert starts[2] - starts[1] >= 0.2
    assert (run.counters.requests, run.counters.retries) == (3, 2)


async def test_retry_after_from_the_server_is_honoured(server, client, storage):
    server.fail_next(1, 429, retry_after=0.6)

    await enricher(client, storage, backoff_base=0.01).enrich([chunk("limited")])

    first, second = server.requests
    assert second.started - first.started >= 0.6


async def test_a_timeout_is_retried(server, storage):
    server.stall_next(1, seconds=1)
    impatient = make_client(server.base_url, timeout=0.3)
    try:
        [enriched] = await enricher(impatient, storage).enrich([chunk("slow")])
    finally:
        await impatient.close()

    assert enriched.description == "Description of slow."
    first, second = server.requests
    assert first.status is None and second.status == 200  # the first is still stalled
    await asyncio.sleep(1)  # the stalled handler finishes before the next test starts


async def test_persistent_failure_raises_after_max_attempts(server, client, storage):
    server.fail_next(100, 500)

    with pytest.raises(EnrichmentFailed) as failure:
        await enricher(client, storage, max_attempts=3).enrich([chunk("doomed")])

    assert server.count(CHAT) == 3
    assert failure.value.attempts == 3 and failure.value.status == 500
    assert "after 3 attempt(s)" in str(failure.value)
    # nothing was cached: the next run asks again
    server.reset()
    [enriched] = await enricher(client, storage).enrich([chunk("doomed")])
    assert enriched.description == "Description of doomed."
    assert server.count(CHAT) == 1


async def test_a_request_error_is_not_retried(server, client, storage):
    server.fail_next(1, 400)

    with pytest.raises(EnrichmentFailed) as failure:
        await enricher(client, storage).enrich([chunk("bad")])

    assert server.count(CHAT) == 1
    assert failure.value.status == 400


async def test_chunks_done_before_a_failure_stay_cached(server, client, storage):
    chunks = [chunk("first", start_line=1), chunk("second", start_line=4),
              chunk("third", start_line=7)]

    class BreakAfterFirst(CountingGate):
        async def wait_open(self) -> None:
            await super().wait_open()
            if len(self.calls) == 2:  # the endpoint goes down after the first answer
                server.fail_next(100, 503)

    with pytest.raises(EnrichmentFailed):
        await enricher(client, storage, BreakAfterFirst(), concurrency=1,
                       max_attempts=2).enrich(chunks)
    # one success, then one chunk's two attempts; the third chunk was never sent
    assert [r.status for r in server.requests] == [200, 503, 503]

    server.reset()
    enriched = await enricher(client, storage).enrich(chunks)
    assert server.count(CHAT) == 2  # the first chunk's answer was kept
    assert [c.description for c in enriched] == [
        "Description of first.", "Description of second.", "Description of third."]


@pytest.mark.parametrize(("answer", "description", "purpose"), [
    ('```json\n{"description": "Reads it.", "purpose": "Config."}\n```', "Reads it.", "Config."),
    ('Sure! Here it is: {"description": "Reads it.", "purpose": "Config."} Hope it helps.',
     "Reads it.", "Config."),
    ("**Description:** Reads\n  it.\n**Purpose**: Config.", "Reads", "Config."),
    ("Reads the configuration file.\n", "Reads the configuration file.", ""),
    ('{"description": "Reads it."}', "Reads it.", ""),
])
async def test_answers_off_the_requested_format_are_understood(server, client, storage,
                                                               answer, description, purpose):
    server.answer = answer

    [enriched] = await enricher(client, storage).enrich([chunk("parse")])

    assert (enriched.description, enriched.purpose) == (description, purpose)


@pytest.mark.parametrize("answer", [
    "",
    "   \n ",
    '{"description": "Reads the confi',  # cut off by the token limit
    '{"summary": "Reads it."}',
    '{"description": null, "purpose": "Config."}',
])
async def test_an_unusable_answer_fails_and_invents_nothing(server, client, storage, answer):
    server.answer = answer

    with pytest.raises(EnrichmentFailed, match="answer"):
        await enricher(client, storage).enrich([chunk("parse")])

    assert server.count(CHAT) == 1  # the same prompt would get the same answer
    assert await storage.get_enrichments("test-chat", [chunk("parse").content_hash]) == {}


async def test_the_gate_is_consulted_right_before_every_request(server, client, storage):
    gate = CountingGate()
    server.fail_next(2, 500)

    await enricher(client, storage, gate).enrich([chunk("gated")])

    starts = [r.started for r in server.requests]
    assert len(gate.calls) == len(starts) == 3
    # gate, request, gate, request, …: each retry passed the gate again
    assert gate.calls[0] <= starts[0] <= gate.calls[1] <= starts[1] <= gate.calls[2] <= starts[2]


async def test_a_closed_gate_holds_every_request_back(server, client, storage):
    gate = CountingGate(opened=False)
    run = asyncio.create_task(enricher(client, storage, gate).enrich(
        [chunk("waiting"), chunk("patient", start_line=4)]))

    await asyncio.sleep(0.3)
    assert server.count() == 0 and not run.done()
    gate.opened.set()
    enriched = await run

    assert server.count(CHAT) == 2 and all(c.description for c in enriched)


async def test_concurrency_is_bounded(server, client, storage):
    server.delay = 0.15
    chunks = [chunk(f"fn_{i}", start_line=3 * i) for i in range(10)]

    await enricher(client, storage, concurrency=3).enrich(chunks)

    assert server.count(CHAT) == 10
    assert server.max_in_flight == 3


async def test_a_file_summary_is_written_from_its_chunks_and_cached(server, client, storage):
    chunks = await enricher(client, storage).enrich(
        [chunk("parse_config"), chunk("load_rules", start_line=4)])
    server.reset()

    run = enricher(client, storage)
    summary = await run.summarize_file("pkg/mod.py", "python", "file-hash-1", chunks)

    assert summary == "Summary of parse_config."
    [request] = server.requests
    prompt = request.body["messages"][-1]["content"]
    assert "pkg/mod.py" in prompt and "Description of load_rules." in prompt
    # unchanged file: from the cache; changed file: asked again
    assert await enricher(client, storage).summarize_file(
        "pkg/mod.py", "python", "file-hash-1", chunks) == summary
    assert server.count() == 1
    await enricher(client, storage).summarize_file("pkg/mod.py", "python", "file-hash-2", chunks)
    assert server.count() == 2


async def test_a_summary_request_fails_like_any_other(server, client, storage):
    server.fail_next(100, 502)

    with pytest.raises(EnrichmentFailed):
        await enricher(client, storage, max_attempts=2).summarize_file(
            "pkg/mod.py", "python", "file-hash", [chunk("parse")])

    assert server.count(CHAT) == 2


# --- embeddings through the endpoint --------------------------------------------------------

def remote(client, gate=None, **options) -> OpenAIEmbedder:
    options = {"backoff_base": 0.05, **options}
    return OpenAIEmbedder(client, "test-embed", gate or OpenGate(), **options)


async def test_texts_are_embedded_in_batches(server, client):
    texts = [f"text number {i}" for i in range(10)]

    vectors = await remote(client, batch_size=4).embed(texts)

    assert [r.inputs for r in server.requests] == [4, 4, 2]
    for text, vector in zip(texts, vectors, strict=True):
        assert vector == pytest.approx(embed_text(text))


async def test_chunks_get_vectors_of_what_is_embedded(server, client, storage):
    chunks = [chunk(f"fn_{i}", start_line=3 * i) for i in range(7)]

    embedded = await EmbedStage(remote(client, batch_size=3), storage).embed_chunks(chunks)

    assert server.count(EMBED) == math.ceil(7 / 3)
    for original, result in zip(chunks, embedded, strict=True):
        assert result.embedding == pytest.approx(embed_text(embedding_text(original)), abs=1e-6)
        assert result.text == original.text


async def test_the_embedding_text_leads_with_name_path_and_description():
    described = Chunk(id="1", path="pkg/auth.py", start_line=1, end_line=90, symbol="login",
                      kind="function", language="python", text="x = 1\n" * 1000,
                      content_hash="h", description="Checks a password.")

    text = embedding_text(described, max_chars=300)

    assert text.startswith("login pkg/auth.py\nChecks a password.\nx = 1")
    assert len(text) == 300


async def test_unchanged_chunks_are_never_embedded_twice(server, client, storage):
    chunks = [chunk(f"fn_{i}", start_line=3 * i) for i in range(6)]
    first = await EmbedStage(remote(client), storage).embed_chunks(chunks)
    server.reset()

    stage = EmbedStage(remote(client), storage)
    second = await stage.embed_chunks(chunks)
    assert server.count() == 0
    for before, after in zip(first, second, strict=True):
        assert after.embedding == pytest.approx(before.embedding, abs=1e-6)
    assert (stage.counters.cache_hits, stage.counters.cache_misses) == (6, 0)

    chunks[4] = chunk("fn_4", body="return 4", start_line=12)  # an edit inside one chunk
    await EmbedStage(remote(client), storage).embed_chunks(chunks)
    assert [r.inputs for r in server.requests] == [1]


async def test_identical_inputs_are_embedded_once(server, client, storage):
    same = [chunk("twin"), chunk("twin")]

    embedded = await EmbedStage(remote(client), storage).embed_chunks(same)

    assert [r.inputs for r in server.requests] == [1]
    assert embedded[0].embedding == embedded[1].embedding


async def test_embedding_retries_pass_the_gate_each_time(server, client):
    gate = CountingGate()
    server.fail_next(1, 429)
    server.fail_next(1, 500)

    [vector] = await remote(client, gate).embed(["hello world"])

    assert vector == pytest.approx(embed_text("hello world"))
    assert len(gate.calls) == server.count(EMBED) == 3


async def test_persistent_embedding_failure_raises_and_caches_nothing(server, client, storage):
    server.fail_next(100, 500)
    embedder = remote(client, max_attempts=2)

    with pytest.raises(EmbeddingFailed) as failure:
        await EmbedStage(embedder, storage).embed_chunks([chunk("doomed")])

    assert failure.value.attempts == 2 and server.count(EMBED) == 2
    assert embedder.counters.requests == 2
    key = content_hash(embedding_text(chunk("doomed")))
    assert await storage.get_embeddings("test-embed", [key]) == {}


# --- the local model --------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Any connection other than to loopback fails, as on a machine without network."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
                "127.0.0.1", "::1", "localhost"):
            raise OSError(f"test forbids network access to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="module")
def local_embedder():
    return LocalEmbedder()  # loads on first use, which the first test below makes offline


async def test_the_local_model_loads_offline_and_leaves_the_loop_free(no_network,
                                                                      local_embedder):
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        vectors = await local_embedder.embed([f"sentence number {i}" for i in range(64)])
    finally:
        ticking.cancel()

    assert len(vectors) == 64
    assert all(len(v) == LOCAL_DIMENSIONS for v in vectors)
    assert all(math.isclose(math.hypot(*v), 1.0, abs_tol=1e-4) for v in vectors)
    assert ticks >= 3  # the loop kept running while the model loaded and computed


async def test_local_vectors_put_similar_texts_closer(local_embedder):
    cat, kitten, tax = await local_embedder.embed([
        "The cat sat on the mat.",
        "A kitten is sitting on a rug.",
        "Quarterly corporate tax filings are due in April.",
    ])

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))  # unit vectors

    assert cosine(cat, kitten) > cosine(cat, tax) + 0.2
    assert cosine(cat, kitten) > cosine(kitten, tax) + 0.2


async def test_local_embeddings_are_cached_under_the_local_model(local_embedder, storage):
    chunks = [chunk("parse_config"), chunk("load_rules", start_line=4)]

    embedded = await EmbedStage(local_embedder, storage).embed_chunks(chunks)

    keys = [content_hash(embedding_text(c)) for c in chunks]
    cached = await storage.get_embeddings(LOCAL_MODEL_KEY, keys)
    for key, result in zip(keys, embedded, strict=True):
        assert len(result.embedding) == LOCAL_DIMENSIONS
        assert cached[key] == pytest.approx(result.embedding, abs=1e-6)


# --- the test server as its own process ------------------------------------------------------

async def test_the_test_server_runs_as_a_separate_process(storage):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.openai_server", "--port", "0",
        stdout=asyncio.subprocess.PIPE, cwd=REPO_ROOT)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        base_url = line.decode().split(" on ", 1)[1].strip()

        def control(path: str, command: dict | None = None):
            data = json.dumps(command).encode() if command is not None else None
            with urllib.request.urlopen(base_url.removesuffix("/v1") + path, data) as answer:
                return json.load(answer)

        await asyncio.to_thread(control, "/_test/control",
                                {"fail_next": {"count": 1, "status": 500}})
        client = make_client(base_url)
        try:
            [enriched] = await enricher(client, storage).enrich([chunk("remote")])
        finally:
            await client.close()
        log = await asyncio.to_thread(control, "/_test/requests")
    finally:
        if proc.returncode is None:
            proc.terminate()
        returncode = await asyncio.wait_for(proc.wait(), timeout=10)

    assert enriched.description == "Description of remote."
    assert [(r["path"], r["status"]) for r in log] == [("/v1/chat/completions", 500),
                                                       ("/v1/chat/completions", 200)]
    assert returncode == 0  # SIGTERM stops it cleanly
