"""Hybrid search: dense (MiniLM in Chroma) and lexical (BM25) scores fused, then table rows
give way to the paragraphs they summarise when the question is about one column.

Fusion is a convex combination of normalised scores rather than reciprocal-rank fusion: ranks
throw away how far ahead the best passage is, and on this small corpus that margin decides
most questions (``pathwise eval --retrieval``: MRR 0.82 with RRF, see the README).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pathwise.errors import InputError
from pathwise.knowledge.lexical import BM25, tokenize
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.knowledge.store import Store, StoredPassage

log = logging.getLogger("pathwise.retrieval")

CANDIDATES = 50
MAX_K = 100
MAX_QUERY_CHARS = 2000
# The lexical share of the fused score; the dense cosine gets the rest. An even split: the
# figures hold from 0.4 to 0.7 on the dev set and on the team's own set (bench/data/team.jsonl).
LEXICAL_SHARE = 0.5
# Words (as tokenized) of a question that weighs the options against each other.
COMPARING = frozenset({"each", "both", "vs", "versu", "compare", "compar", "comparison", "differ", "difference", "differenc"})


def check_query(query: object, k: object) -> tuple[str, int]:
    if not isinstance(query, str) or not query.strip():
        raise InputError("the query is empty: ask something about the two careers")
    if isinstance(k, bool) or not isinstance(k, int):
        raise InputError(f"k must be a whole number, not {k!r}")
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, not {k}")
    return " ".join(query.split())[:MAX_QUERY_CHARS], k


@dataclass(frozen=True)
class _Index:
    """The stored passages as one search sees them; a refresh swaps in a whole new one."""

    passages: list[StoredPassage]
    bm25: BM25
    by_id: dict[str, StoredPassage] = field(init=False)
    position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {p.id: p for p in self.passages})
        object.__setattr__(self, "position", {p.id: i for i, p in enumerate(self.passages)})


class HybridRetriever:
    """Loads the stored passages once, keeps a BM25 index beside Chroma's vectors."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._current: _Index | None = None

    def refresh(self) -> None:
        passages = sorted(self.store.all_passages(), key=lambda p: (p.source, p.order, p.id))
        index = _Index(passages, BM25([tokenize(f"{p.context}\n{p.text}") for p in passages]))
        with self._lock:
            self._current = index

    def _index(self) -> _Index:
        if self._current is None:
            self.refresh()
        assert self._current is not None
        return self._current

    def idf(self, term: str) -> float:
        """How rare a (stemmed) word is in the store; unknown words count for nothing."""
        entry = self._index().bm25.index.get(term)
        return entry[2] if entry else 0.0

    def get(self, ids: list[str]) -> list[Hit]:
        by_id = self._index().by_id
        return [
            Hit(id=p.id, text=p.text, section=p.section, score=0.0)
            for p in (by_id.get(i) for i in ids)
            if p is not None
        ]

    def search(self, query: str, k: int = 5) -> list[Hit]:
        query, k = check_query(query, k)
        index = self._index()
        terms = tokenize(query, expand=True)
        vector = self.store.embedder.embed([query])[0]
        pool = max(CANDIDATES, k)  # a k beyond the usual pool still gets k passages when the store has them
        dense = self.store.dense(vector, pool)
        ranked = _sources_first(index, _fuse(index, dense, terms, pool), set(terms))[:k]
        similarity = dict(dense)
        hits = []
        for pid, score in ranked:
            p = index.by_id[pid]
            hit = Hit(id=pid, text=p.text, section=p.section, score=round(score, 4))
            hit.similarity = similarity.get(pid)
            hits.append(hit)
        return hits


def _fuse(index: _Index, dense: list[tuple[str, float]], terms: list[str], pool: int) -> list[tuple[str, float]]:
    """Score = share × BM25 / best BM25 + (1 − share) × cosine, best first.

    Both parts lie in [0, 1] whatever the query. A candidate found only by BM25 takes the
    lowest cosine the dense search returned: its own is no higher than that. A passage stored
    after this index was loaded is left for the next refresh.
    """
    lexical = index.bm25.scores(terms)
    best_lexical = float(lexical.max()) if len(lexical) else 0.0
    cosine = {pid: max(sim, 0.0) for pid, sim in dense if pid in index.by_id}
    floor = min(cosine.values(), default=0.0)
    candidates = set(cosine) | {index.passages[i].id for i, _ in index.bm25.best(lexical, pool)}
    fused = {}
    for pid in candidates:
        lex = float(lexical[index.position[pid]]) / best_lexical if best_lexical > 0 else 0.0
        fused[pid] = LEXICAL_SHARE * lex + (1 - LEXICAL_SHARE) * cosine.get(pid, floor)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def _sources_first(index: _Index, ranked: list[tuple[str, float]], terms: set[str]) -> list[tuple[str, float]]:
    """Order a table row and the paragraphs it summarises by what the question asks.

    The row and its paragraphs state one fact. A question that names one column alone ("when
    do AI engineers burn out" names "AI Engineer") is answered best by that column's paragraph,
    which says it at length, with causes: it goes just above the row, taking the row's score.
    A question that compares ("each path", "AI engineers vs automation") is answered best by
    the row, which states it for every column: it goes just above its paragraphs.
    """
    out = list(ranked)
    for row_id, _ in ranked:
        links = index.by_id[row_id].restated_by
        if not links:
            continue
        at = {pid: n for n, (pid, _) in enumerate(out)}
        named = _named_columns(links, terms)
        if len(named) == 1 and links[named[0]] in at and at[links[named[0]]] > at[row_id]:
            source = links[named[0]]
            out.pop(at[source])
            out.insert(at[row_id], (source, out[at[row_id]][1]))
        elif len(named) > 1 or (not named and terms & COMPARING):
            above = [at[pid] for pid in links.values() if pid in at and at[pid] < at[row_id]]
            if above:
                out.pop(at[row_id])
                out.insert(min(above), (row_id, out[min(above)][1]))
    return out


def _named_columns(links: dict[str, str], terms: set[str]) -> list[str]:
    """The column headers whose own words (those no other header has) the query uses."""
    words = {column: set(tokenize(column)) for column in links}
    return [c for c, w in words.items() if (w - set().union(*(words[o] for o in words if o != c))) & terms]
