"""Chroma's view of the pathwise embedder. Imports chromadb, so only ``store`` imports this, lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from pathwise.knowledge.embeddings import load_embedder
from pathwise.knowledge.types import TextEmbedder


class MiniLMOnnx(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 through onnxruntime; Chroma can rebuild it from its config (the cache dir)."""

    def __init__(self, embedder: TextEmbedder, cache_dir: Path) -> None:
        self._embedder = embedder
        self._cache_dir = cache_dir

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's protocol names it so
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "pathwise-minilm-onnx"

    def get_config(self) -> dict[str, Any]:
        return {"cache_dir": str(self._cache_dir)}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMOnnx:
        cache_dir = Path(config["cache_dir"])
        return MiniLMOnnx(load_embedder(cache_dir), cache_dir)

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"
