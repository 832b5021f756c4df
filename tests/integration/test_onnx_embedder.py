"""The ONNX Runtime local embedder (issue 12, item 4): the same vectors as the
sentence-transformers path (fp32) or faithful ones (int8), texts cut at what the model reads and
run in length-sorted batches within a token budget, a graph with fused attention, a session that
does not spin, an export that two processes can race, and a cache key per engine and precision
so a change re-embeds."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from services.domain.models import Chunk, content_hash
from services.inference.embedder import LOCAL_MODEL_KEY
from services.inference.llm import OpenGate
from services.inference.onnx_embedder import ST_MAX_TOKENS, OnnxEmbedder, OnnxMiniLM, model_file
from services.inference.st_embedder import LocalEmbedder
from services.ingestor.assembly import build_embedder
from services.ingestor.embed import EmbedStage
from tests.support.grpc_server import settings_for

ROOT = Path(__file__).resolve().parents[2]
# A hang guard: the first test of the module exports the model twice at once (the race fixture)
# and once more as int8 (~25 s each alone, minutes when other work shares the two cores).
pytestmark = pytest.mark.timeout(900)


def _real_code() -> list[str]:
    """Functions and classes of the standard library (real code nobody here wrote), short and
    long, plus a few plain-language queries."""
    import argparse
    import json
    import shutil

    texts = [inspect.getsource(obj) for obj in (
        json.dumps, json.loads, shutil.copyfile, shutil.rmtree, argparse.ArgumentParser,
        argparse.Namespace, shutil.copytree, json.JSONEncoder.encode)]
    return [*texts, "renew the lease", "where is the file copied", "x"]


@dataclass(frozen=True)
class Race:
    """Two processes that exported the fp32 model into one empty cache at once: their exit
    codes and output, and the cache's files right after."""

    cache: Path
    codes: list[int]
    outputs: list[tuple[str, str]]
    files: list[str]


@pytest.fixture(scope="module")
def race(tmp_path_factory) -> Race:
    """The module's one fp32 export is this race's (an export costs ~25 s alone, minutes on a
    busy machine): the other tests read the model it leaves."""
    cache = tmp_path_factory.mktemp("models")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from services.inference.onnx_embedder import model_file
        print(model_file(Path({str(cache)!r}), "fp32"))
    """)
    runs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    return Race(cache, [run.returncode for run in runs], outputs,
                sorted(p.name for p in cache.iterdir()))


@pytest.fixture(scope="module")
def cache_dir(race) -> Path:
    return race.cache


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _real_code()


@pytest.fixture(scope="module")
async def st_vectors(texts) -> np.ndarray:
    return np.asarray(await LocalEmbedder().embed(texts))


def _cosines(a, b) -> np.ndarray:
    return np.sum(np.asarray(a) * np.asarray(b), axis=1)


async def test_fp32_at_its_cap_gives_the_sentence_transformers_vectors(cache_dir, texts,
                                                                       st_vectors):
    vectors = await OnnxEmbedder(cache_dir, "fp32", ST_MAX_TOKENS).embed(texts)
    assert np.asarray(vectors).shape == st_vectors.shape
    assert _cosines(vectors, st_vectors).min() >= 0.999


async def test_int8_stays_faithful_to_fp32(cache_dir, texts):
    fp32 = await OnnxEmbedder(cache_dir, "fp32").embed(texts)
    int8 = await OnnxEmbedder(cache_dir, "int8").embed(texts)
    assert _cosines(int8, fp32).mean() >= 0.99
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)


async def test_an_int8_vector_does_not_depend_on_the_texts_beside_it(cache_dir, texts):
    """Dynamic quantisation scales activations per forward pass: with one text per pass (the
    default), a chunk embedded in an ingest batch gets the vector that text gets alone, as a
    query at search time."""
    embedder = OnnxEmbedder(cache_dir, "int8")
    together = await embedder.embed(texts)
    alone = [(await embedder.embed([text]))[0] for text in texts]
    assert np.allclose(together, alone, atol=1e-5)


class _Recording(OnnxMiniLM):
    """The real model, noting the shape of each forward batch it runs."""

    shapes: list[tuple[int, int]]

    def _forward(self, token_ids):
        self.shapes.append((len(token_ids), max(map(len, token_ids))))
        return super()._forward(token_ids)


def test_batches_are_sorted_by_length_within_a_token_budget_and_keep_the_order(cache_dir, texts):
    plain = OnnxMiniLM.load(model_file(cache_dir, "fp32"), ST_MAX_TOKENS)
    model = _Recording(plain.session, plain.tokenizer, token_budget=600)
    model.shapes = []
    shuffled = [texts[i] for i in np.random.default_rng(1).permutation(len(texts))]
    together = model.encode(shuffled)

    widths = [width for _, width in model.shapes]
    assert widths == sorted(widths)  # each batch padded to its own longest text only
    assert widths[0] < widths[-1] == 256  # argparse.ArgumentParser is cut at 256 pieces
    assert all(rows * width <= 600 for rows, width in model.shapes)
    assert model.shapes[0][0] > model.shapes[-1][0]  # short texts go many to a batch
    alone = np.vstack([plain.encode([text]) for text in shuffled])
    assert _cosines(together, alone).min() >= 0.9999  # padding and order change nothing


@pytest.mark.parametrize(("precision", "attention"), [("fp32", "Attention"),
                                                      ("int8", "QAttention")])
def test_the_graph_runs_fused_attention(cache_dir, precision, attention):
    """Each layer's attention is one fused operator: the exported mask arithmetic of PyTorch's
    SDPA (Where, IsNaN) cost about a fifth of the run time and blocked the fusion."""
    import onnx

    graph = onnx.load(str(model_file(cache_dir, precision))).graph
    ops = Counter(node.op_type for node in graph.node)
    assert ops[attention] == 6, ops  # one per layer of all-MiniLM-L6-v2
    assert not ops.keys() & {"Where", "IsNaN", "Softmax"}, ops


def test_the_session_neither_spins_nor_oversubscribes(cache_dir):
    import onnxruntime
    import psutil

    options = OnnxMiniLM.load(model_file(cache_dir, "int8")).session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.intra_op_num_threads == psutil.cpu_count(logical=False)
    assert options.execution_mode == onnxruntime.ExecutionMode.ORT_SEQUENTIAL


def test_two_processes_exporting_at_once_leave_one_valid_model(race):
    assert race.codes == [0, 0], race.outputs
    assert race.files == ["all-MiniLM-L6-v2-fused-fp32.onnx"]
    model = OnnxMiniLM.load(race.cache / "all-MiniLM-L6-v2-fused-fp32.onnx")
    vector = model.encode(["def add(a, b):\n    return a + b"])
    assert vector.shape == (1, 384) and abs(float(np.linalg.norm(vector)) - 1) < 1e-4


def _embedder_model(tmp_path, **env) -> str:
    settings = settings_for(tmp_path, KNOWPORT_DATA_DIR=str(tmp_path), **env)
    return build_embedder(settings, OpenGate()).model


def test_the_cache_key_follows_the_engine_and_precision(tmp_path):
    default = _embedder_model(tmp_path, EMBEDDING_BACKEND="local")
    fp32 = _embedder_model(tmp_path, EMBEDDING_BACKEND="local", LOCAL_EMBEDDING_PRECISION="fp32")
    st = _embedder_model(tmp_path, EMBEDDING_BACKEND="local-st")
    as_st = _embedder_model(tmp_path, EMBEDDING_BACKEND="local",
                            LOCAL_EMBEDDING_PRECISION="fp32", LOCAL_EMBEDDING_MAX_TOKENS="256")
    assert st == LOCAL_MODEL_KEY
    assert as_st == st  # the very same vectors: switching engines re-embeds nothing
    assert len({default, fp32, st}) == 3  # different vectors never share a key
    assert _embedder_model(tmp_path, EMBEDDING_BACKEND="auto") == default  # no endpoint: ONNX


async def test_a_precision_change_re_embeds(storage, cache_dir, texts):
    """On both storage backends (the `storage` fixture): each precision has its vectors."""
    chunks = [Chunk(id=f"c{i}", path=f"f{i}.py", start_line=1, end_line=1, symbol="",
                    kind="lines", language="python", text=text, content_hash=content_hash(text))
              for i, text in enumerate(texts[:4])]
    for precision, misses in (("fp32", 4), ("fp32", 0), ("int8", 4), ("int8", 0)):
        stage = EmbedStage(OnnxEmbedder(cache_dir, precision), storage)
        embedded = await stage.embed_chunks(chunks)
        assert stage.counters.cache_misses == misses, precision
        assert all(len(c.embedding) == 384 for c in embedded)
