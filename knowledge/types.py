"""Shapes the knowledge layer hands out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    import numpy as np


class TextEmbedder(Protocol):
    """What the store needs of an embedder (the MiniLM model, or the benchmark's cache in front of it)."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


class Hit(BaseModel):
    """A retrieved passage: the stored text, its section, and a relevance score (higher is better)."""

    id: str
    text: str
    section: str
    score: float
    similarity: float | None = Field(None, exclude=True, description="dense cosine similarity, when known")
