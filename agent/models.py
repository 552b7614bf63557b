"""Typed shapes at the agent's boundary: what a turn returns, what a stream yields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

Path_ = Literal["engineering", "automation"]
Mode = Literal["llm", "offline"]


class Citation(BaseModel):
    id: str
    section: str
    text: str


class Reason(BaseModel):
    """One answer's contribution to the fit scores, with the article sentence behind it."""

    signal: str
    answer: str
    path: Path_
    points: float
    quote: str


class FitResult(BaseModel):
    recommended: Literal["engineering", "automation", "undecided"]
    scores: dict[str, float]
    reasons: list[Reason]
    margin: float = Field(description="the score gap under which the result is 'undecided'")
    caveat: str = ""


class Turn(BaseModel):
    """One answer as the person sees it; the JSON of `pathwise ask --json` and `chat --jsonl`."""

    answer: str
    citations: list[Citation] = []
    in_scope: bool = True
    mode: Mode = "offline"
    fit: FitResult | None = None
    follow_ups: list[str] = []
    latency_ms: float = 0.0
    notice: str | None = Field(None, description="shown beside the answer, e.g. why it fell back to offline mode")


class StreamEvent(BaseModel):
    """What ``Advisor.stream`` yields: text deltas first, then the whole turn once, last."""

    kind: Literal["token", "notice", "turn"]
    text: str = ""
    turn: Turn | None = None


def final_turn(events: Iterable[StreamEvent]) -> Turn | None:
    """The whole turn a stream ends with (read to its end, so the stream finishes its bookkeeping)."""
    turn = None
    for event in events:
        if event.kind == "turn" and event.turn is not None:
            turn = event.turn
    return turn
