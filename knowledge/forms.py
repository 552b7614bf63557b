"""Whether a piece of a message asks or tells, learned from labelled examples.

People ask without a question mark ("so automation money comes every month or not", "the wall
comes at which month") and tell with question words ("what I like is fixing things fast").
``forms.jsonl`` (package data) labels clauses as they are typed, ``ask`` or ``tell``, on the
paths and on anything else, so that form and not subject tells them apart (the bank's questions,
all about the paths, taught "say I do a year of ML engineering" to ask). A linear model on words,
word pairs and the first and last word learns the form: word order and small words carry it,
which MiniLM's vectors, made to say what a text is about, blur. It is a ridge regression on hashed
sparse features, solved by conjugate gradients: deterministic, and a tenth of a second to train.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from pathwise.knowledge.lexical import gloss

FORMS_FILE = "forms.jsonl"
FEATURES = 1 << 14  # hashed features: collisions among a few thousand words and pairs are rare at this size
FORM_RIDGE = 1.0
LABEL_RIDGE = 0.3  # the trait classifier's on words: cross-validated on traits.jsonl with its MiniLM one
SOLVED = 1e-10  # conjugate gradients stop when the residual is this small a share of the target's
MAX_STEPS = 500
WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # any script: Devanagari is words too


def features(text: str) -> list[int]:
    """The hashed features of a text: its words, word pairs, first and last word ("?" is not one of them)."""
    words = WORDS.findall(gloss(text).lower().replace("’", "'"))
    if not words:
        return []
    tokens = [f"^{words[0]}", f"${words[-1]}", *words, *(f"{a}_{b}" for a, b in zip(words, words[1:]))]
    return sorted({zlib.crc32(t.encode()) % FEATURES for t in tokens})


@lru_cache(maxsize=1)
def bundled_forms() -> tuple[tuple[str, bool], ...]:
    """The labelled clauses of ``forms.jsonl``: (text, whether it asks)."""
    text = resources.files("pathwise.knowledge").joinpath("data", FORMS_FILE).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return tuple((row["q"], row["form"] == "ask") for row in rows)


def train(labelled: Iterable[tuple[str, bool]]) -> Any:
    """Ridge weights (one per feature, then the bias) from (text, asks) pairs; each form weighs half."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    asks: list[bool] = []
    for n, (text, ask) in enumerate(labelled):
        found = [*features(text), FEATURES]
        scale = 1 / np.sqrt(max(1, len(found) - 1))
        rows.extend([n] * len(found))
        cols.extend(found)
        vals.extend([scale] * (len(found) - 1) + [1.0])
        asks.append(ask)
    if not asks or all(asks) or not any(asks):
        return None
    r, c, v = np.asarray(rows), np.asarray(cols), np.asarray(vals)
    y = np.asarray(asks, dtype=np.float64)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    target = 2 * y - 1

    def times(w: Any) -> Any:  # X w
        return np.bincount(r, weights=v * w[c], minlength=len(y))

    def back(u: Any) -> Any:  # X^T u
        return np.bincount(c, weights=v * u[r], minlength=FEATURES + 1)

    def normal(w: Any) -> Any:  # (X^T W X + ridge) w
        return back(weight * times(w)) + FORM_RIDGE * w

    b = back(weight * target)
    w = np.zeros(FEATURES + 1)
    residual = b.copy()
    step = residual.copy()
    size = residual @ residual
    if size == 0:  # nothing to learn from: no example has a word
        return None
    for _ in range(MAX_STEPS):
        moved = normal(step)
        alpha = size / (step @ moved)
        w += alpha * step
        residual -= alpha * moved
        new = residual @ residual
        if new < SOLVED * (b @ b):
            break
        step = residual + new / size * step
        size = new
    return w


def asks(weights: Any, text: str) -> float:
    """How strongly ``text`` asks: above 0 it reads as asking, below as telling."""
    found = features(text)
    if weights is None or not found:
        return 0.0
    return float(weights[found].sum() / np.sqrt(len(found)) + weights[FEATURES])


def train_labels(labelled: list[tuple[str, int]], n: int, ridge: float = LABEL_RIDGE) -> Any:
    """Ridge weights (one row per feature, then the bias; a column per label) from (text, label)
    pairs, solved in the dual: a square system the size of the examples, not of the features."""
    found = [[*features(text), FEATURES] for text, _ in labelled]
    if n < 2 or not found:
        return None
    scale = [1 / np.sqrt(max(1, len(f) - 1)) for f in found]
    value = [[s] * (len(f) - 1) + [1.0] for f, s in zip(found, scale, strict=True)]
    # The examples' products, feature by feature: each feature touches only the examples that have it.
    postings: dict[int, list[tuple[int, float]]] = {}
    for row, (cols, vals) in enumerate(zip(found, value, strict=True)):
        for col, val in zip(cols, vals, strict=True):
            postings.setdefault(col, []).append((row, val))
    gram = np.zeros((len(found), len(found)))
    for posting in postings.values():
        among = np.asarray([r for r, _ in posting])
        products = np.asarray([v for _, v in posting])
        gram[np.ix_(among, among)] += np.outer(products, products)
    targets = np.eye(n)[[label for _, label in labelled]]
    dual = np.linalg.solve(gram + ridge * np.eye(len(found)), targets)
    weights = np.zeros((FEATURES + 1, n))
    for row, (cols, vals) in enumerate(zip(found, value, strict=True)):
        np.add.at(weights, cols, np.outer(vals, dual[row]))
    return weights


def label_scores(weights: Any, text: str) -> Any:
    """Each label's ridge score for ``text``, from its hashed words (zeros when it has none)."""
    found = features(text)
    if weights is None or not found:
        return None
    return weights[found].sum(axis=0) / np.sqrt(len(found)) + weights[FEATURES]
