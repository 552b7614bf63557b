"""Hybrid search: dense (MiniLM in Chroma) and lexical (BM25) ranks fused by reciprocal rank."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from pathwise.errors import InputError
from pathwise.knowledge.lexical import BM25, tokenize
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.knowledge.store import Store, StoredPassage

log = logging.getLogger("pathwise.retrieval")

RRF_K = 60
CANDIDATES = 50
MAX_K = 100
MAX_QUERY_CHARS = 2000
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 2.0  # tuned on the dev set: BM25 alone beats MiniLM alone here


def check_query(query: object, k: object) -> tuple[str, int]:
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty: ask something about the two careers")
    if isinstance(k, bool) or not isinstance(k, int):
        raise InputError(f"k must be a whole number, not {k!r}")
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, not {k}")
    return " ".join(query.split())[:MAX_QUERY_CHARS], k


class HybridRetriever:
    """Loads the stored passages once, keeps a BM25 index beside Chroma's vectors."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._passages: list[StoredPassage] = []
        self._by_id: dict[str, StoredPassage] = {}
        self._bm25: BM25 | None = None

    def refresh(self) -> None:
        passages = sorted(self.store.all_passages(), key=lambda p: (p.source, p.order, p.id))
        bm25 = BM25([tokenize(f"{p.context}\n{p.text}") for p in passages])
        with self._lock:
            self._passages, self._by_id, self._bm25 = passages, {p.id: p for p in passages}, bm25

    def _ensure(self) -> BM25:
        if self._bm25 is None:
            self.refresh()
        assert self._bm25 is not None
        return self._bm25

    def idf(self, term: str) -> float:
        """How rare a (stemmed) word is in the store; unknown words count for nothing."""
        entry = self._ensure().index.get(term)
        return entry[2] if entry else 0.0

    def get(self, ids: list[str]) -> list[Hit]:
        self._ensure()
        return [
            Hit(id=p.id, text=p.text, section=p.section, score=0.0)
            for p in (self._by_id.get(i) for i in ids)
            if p is not None
        ]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        query, k = check_query(query, k)
        bm25 = self._ensure()
        vector = self.store.embedder.embed([query])[0]
        pool = max(CANDIDATES, k)  # a k beyond the usual pool still gets k passages when the store has them
        dense = self.store.dense(vector, pool)
        lexical = bm25.top(tokenize(query, expand=True), pool)
        fused: dict[str, float] = {}
        similarity: dict[str, float] = dict(dense)
        for rank, (pid, _) in enumerate(dense):
            fused[pid] = fused.get(pid, 0.0) + DENSE_WEIGHT / (RRF_K + rank + 1)
        for rank, (i, _) in enumerate(lexical):
            pid = self._passages[i].id
            fused[pid] = fused.get(pid, 0.0) + LEXICAL_WEIGHT / (RRF_K + rank + 1)
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        scale = (RRF_K + 1) / (DENSE_WEIGHT + LEXICAL_WEIGHT)  # 1.0 = first in both lists
        hits = []
        for pid, score in best:
            p = self._by_id.get(pid)
            if p is None:  # stored after our snapshot; the next refresh picks it up
                continue
            hit = Hit(id=pid, text=p.text, section=p.section, score=round(score * scale, 4))
            hit.similarity = similarity.get(pid)
            hits.append(hit)
        return hits
