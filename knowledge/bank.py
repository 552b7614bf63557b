"""The question bank: labelled example messages that teach the advisor by example.

Two files of package data, one example a line:

- ``question_bank.jsonl``: questions people ask that the bundled article answers, each labelled
  with the passages that answer it (best first), its topic, path and period. Embedded in a
  Chroma collection of their own, they are extra keys for their passages (LangChain's
  multi-vector "hypothetical questions" pattern) and the examples a message's topic is read from.
- ``routes.jsonl``: messages that call for something other than a passage — off-topic asks,
  self-descriptions asking for a fit, follow-ups that only point back, greetings.
- ``asks.jsonl``: closing asks for a recommendation that say nothing of the writer ("so where do
  I fit?", "toh mere liye kaunsa?"): whether a message asks which path suits its writer, after
  they described themselves before it. Kept out of the topic vote: they would pull "where can that
  take me later?" towards a fit.
- ``traits.jsonl``: clauses people describe themselves with, each labelled with the framework's
  signal it is evidence of ("I need long uninterrupted stretches" → ``hates_interruptions``).
- ``sentence_questions.jsonl``: for the article's sentences that answer something, questions
  each answers ("This takes patience ..." ← "how do people push through that?"): the keys a
  follow-up's sentence is chosen by, where the sentence's own words are far from the question's.
- ``followup_questions.jsonl``: what people ask right after the advisor said one of the article's
  sentences, and the sentence that answers it ("Automation Specialists break at months 18-24."
  then "what causes it?" ← "Then a platform updates."): the conversation decides which
  sentence a "why?" asks for.

Add lines to teach; bump ``BANK_VERSION`` when the format changes.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from typing import Literal, NamedTuple

from pydantic import BaseModel, field_validator

BANK_VERSION = "1"
BANK_FILES = ("question_bank.jsonl", "routes.jsonl", "asks.jsonl", "traits.jsonl")
Route = Literal["question", "offtopic", "fit", "followup", "greeting", "ask", "trait"]


class Example(BaseModel):
    """One labelled message."""

    q: str
    route: Route = "question"
    passages: list[str] = []
    topic: str | None = None
    path: Literal["engineering", "automation", "both"] | None = None
    period: tuple[int, int | None] | None = None
    style: str = ""
    followup: bool = False
    kind: str | None = None  # a route's sub-kind: "why", "other_career", ...
    ask: bool = True  # a fit example that asks for a recommendation
    source: str = ""  # the document a generated question belongs to; "" for the bundled bank

    @field_validator("q")
    @classmethod
    def _text(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("an example needs text")
        return value

    @property
    def id(self) -> str:
        return "q" + hashlib.sha256(f"{self.route}\x1f{self.source}\x1f{self.q}".encode()).hexdigest()[:15]

    @property
    def label(self) -> str:
        """What the example teaches: its topic for a question, else its route."""
        return self.topic or "" if self.route == "question" else self.route


def _read(name: str) -> str:
    return resources.files("pathwise.knowledge").joinpath("data", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def bundled_examples() -> tuple[Example, ...]:
    """Every example of the bundled files, duplicates (same route and text) dropped."""
    seen: set[str] = set()
    out = []
    for name in BANK_FILES:
        for line in _read(name).splitlines():
            if not line.strip():
                continue
            example = Example.model_validate_json(line)
            if example.id not in seen:
                seen.add(example.id)
                out.append(example)
    return tuple(out)


@lru_cache(maxsize=1)
def bundled_digest() -> str:
    """The bundled bank's digest, computed once per process."""
    return bank_digest(bundled_examples())


def bank_digest(examples: tuple[Example, ...] | list[Example]) -> str:
    """Changes whenever an example or the format does: the stored vectors are then rebuilt."""
    digest = hashlib.sha256(BANK_VERSION.encode())
    for example in examples:
        digest.update(example.model_dump_json().encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _sentence_entries() -> tuple[tuple[str, str, str], ...]:
    """The sentence-level bank's lines: (sentence, question, kind), whitespace made single."""
    out = []
    for line in _read("sentence_questions.jsonl").splitlines():
        if line.strip():
            entry = json.loads(line)
            out.append((" ".join(entry["sentence"].split()), " ".join(entry["q"].split()), entry["kind"]))
    return tuple(out)


@lru_cache(maxsize=1)
def sentence_keys() -> dict[str, tuple[str, ...]]:
    """Each keyed sentence of the bundled article (as ``lexical.sentences`` splits it) and the
    questions it answers."""
    keys: dict[str, list[str]] = {}
    for sentence, q, _ in _sentence_entries():
        keys.setdefault(sentence, []).append(q)
    return {s: tuple(dict.fromkeys(qs)) for s, qs in keys.items()}


@lru_cache(maxsize=8)
def sentences_answering(kind: str) -> frozenset[str]:
    """The article sentences the sentence-level and follow-up banks give as answers to questions of
    ``kind`` ("who": "If you hate context-switching ..., this will drain you.")."""
    found = {sentence for sentence, _, asked in _sentence_entries() if asked == kind}
    return frozenset(found | {f.answer for f in followup_keys() if f.kind == kind})


class FollowUp(NamedTuple):
    """A follow-up people send after the advisor said ``said``, and the article sentence answering it."""

    said: str
    q: str
    answer: str
    kind: str


@lru_cache(maxsize=1)
def followup_keys() -> tuple[FollowUp, ...]:
    """The follow-up bank: each follow-up with the sentence said before it and the one answering it."""
    out = []
    for line in _read("followup_questions.jsonl").splitlines():
        if line.strip():
            entry = json.loads(line)
            said, answer = (" ".join(entry[k].split()) for k in ("said", "answer"))
            out.append(FollowUp(said, " ".join(entry["q"].split()), answer, entry["kind"]))
    return tuple(out)
