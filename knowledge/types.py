"""Shapes the knowledge layer hands out."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Hit(BaseModel):
    """A retrieved passage: the stored text, its section, and a relevance score (higher is better)."""

    id: str
    text: str
    section: str
    score: float
    similarity: float | None = Field(None, exclude=True, description="dense cosine similarity, when known")
