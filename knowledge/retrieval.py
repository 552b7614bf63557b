"""Hybrid search: dense (MiniLM in Chroma) and lexical (BM25) scores fused, then table rows
give way to the paragraphs they summarise when the question is about one column.

Fusion is a convex combination of normalised scores rather than reciprocal-rank fusion: ranks
throw away how far ahead the best passage is, and on this small corpus that margin decides
most questions (``pathwise eval --retrieval``: MRR 0.82 with RRF, see the README).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from pathwise.errors import InputError
from pathwise.knowledge import forms
from pathwise.knowledge.bank import Example, bundled_digest, bundled_examples, followup_keys, sentence_keys
from pathwise.knowledge.corpus import ARTICLE_NAME
from pathwise.knowledge.embeddings import english_words
from pathwise.knowledge.forms import bundled_forms
from pathwise.knowledge.lexical import BM25, tokenize
from pathwise.knowledge.lexical import sentences as sentences_of
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.knowledge.store import Store, StoredPassage

log = logging.getLogger("pathwise.retrieval")

CANDIDATES = 50
# BM25 score from which an answer's search counts shared words fully: two common words are not a rare phrase.
PASSAGE_LEXICAL_FULL = 30.0
QUESTION_CANDIDATES = 20
KEY_LEXICAL_POOL = 20
SENTENCE_KEY_SCALE = 0.95  # a sentence's few questions count a little below its passage's dozen
RECENT_SEARCHES = 64  # the best-matching bank questions whose passages join the candidates
MAX_K = 100
MAX_QUERY_CHARS = 2000
# A word the article's world never uses is read as the one it nearly spells ("engeneer", "automaton"):
# a word of the article or its examples at least this long, used this often, and this close by difflib.
SPELLED_MIN = 6
SPELLED_COUNT = 3
SPELLING_CUTOFF = 0.86
WORD = re.compile(r"[A-Za-z]+")
INFLECTIONS = ("", "s", "es", "d", "ed", "r", "er", "ers", "ing")  # "patching" is "patch" and English
# Shares of the fused score: BM25, the passage's own cosine, and the cosine of the closest bank
# question that points at it. Chosen on the dev and team sets only (see docs/evaluation.md).
LEXICAL_SHARE = 0.3
DENSE_SHARE = 0.3
QUESTION_SHARE = 0.4
# What the bank classifier reads a query as, against the topics of the bank's questions on a
# passage: a paraphrase no bank question is near still has a subject. 0.1 to 0.3 lift R@3 on
# blind4-6; above 0.1 the dev or blind3 questions start to lose their passage (docs/evaluation.md).
TOPIC_SHARE = 0.1
# Bank questions that must cite a paragraph beside a table row before the row is taken to restate it.
CO_CITED_MIN = 3
# A question's later passages help answer it; the first answers it.
SECONDARY_PASSAGE = 0.9
# A passage is one path's when this share of at least this many of its bank questions that ask of
# one path ask of that one (questions comparing the two say nothing of it).
PATH_AGREEMENT = 0.85
PATH_QUESTIONS = 3
# The bank's linear classifier: its ridge penalty, and the softmax temperature that makes its
# probabilities honest (the lowest held-out log-loss in five-fold cross-validation on the bank).
RIDGE = 0.3
CLASSIFIER_TEMPERATURE = 0.08
WORDS_WEIGHT = 0.5  # a trait clause's word reading beside its MiniLM one: as much, by cross-validation
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


class _Trained(NamedTuple):
    classifier: Any  # ridge weights: [vector, 1] -> a score per label
    trait_classifier: Any
    tokens: list[list[str]]  # each bank message's words
    form: Any  # ridge weights on a clause's hashed words: whether it asks (knowledge/forms.py)
    trait_words: Any  # ridge weights on a trait clause's hashed words, a column per trait: polarity MiniLM blurs


def _inflects(word: str, english: frozenset[str]) -> bool:
    return any(word.endswith(end) and word[: len(word) - len(end)] in english for end in INFLECTIONS)


@dataclass(frozen=True)
class _Index:
    """The stored passages and bank examples as one search sees them; a refresh swaps in a whole new one."""

    passages: list[StoredPassage]
    bm25: BM25
    examples: list[Example] = field(default_factory=list)
    vectors: Any = None  # one row per example, unit length
    followup_vectors: Any = None  # the follow-up bank's questions, unit length: the classifier's "followup" examples
    trained: _Trained | None = None  # what an earlier build of the same bank learned, read back from the cache
    by_id: dict[str, StoredPassage] = field(init=False)
    position: dict[str, int] = field(init=False)
    keys: dict[str, list[tuple[int, float]]] = field(init=False)  # passage -> (example row, weight)
    topics: dict[str, dict[str, float]] = field(init=False)  # passage -> the topics of the questions it answers
    paths: dict[str, str] = field(init=False)  # passage -> the one path its questions ask about, when they agree
    links: dict[str, dict[str, str]] = field(init=False)  # table row -> column -> the paragraph saying that cell at length
    bank_bm25: BM25 | None = field(init=False)  # the examples' words, for a lexical reading of a message
    bank_messages: list[Example] = field(init=False)  # the examples that are messages (not trait clauses)
    bank_words: frozenset[str] = field(init=False)
    # the words a misspelling is read as, by first letter (a slip keeps it) and length
    spellings: dict[tuple[str, int], list[str]] = field(init=False)
    surface: frozenset[str] = field(init=False)  # every word the article and its examples use, as written
    message_rows: Any = field(init=False)
    trait_rows: Any = field(init=False)
    ask_rows: Any = field(init=False)  # asks for a recommendation that say nothing of the writer
    keyed_rows: Any = field(init=False)  # the examples that point at passages
    # Each kind's rows of ``vectors``, copied once: a fancy-indexed copy per search costs every turn.
    message_vectors: Any = field(init=False)
    trait_vectors: Any = field(init=False)
    ask_vectors: Any = field(init=False)
    keyed_vectors: Any = field(init=False)
    labels: list[str] = field(init=False)  # the messages' labels (topics and routes), the classifier's classes
    trait_labels: list[str] = field(init=False)  # the trait clauses' kinds, the trait classifier's classes

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {p.id: p for p in self.passages})
        object.__setattr__(self, "position", {p.id: i for i, p in enumerate(self.passages)})
        keys: dict[str, list[tuple[int, float]]] = {}
        for row, example in enumerate(self.examples):
            for n, pid in enumerate(example.passages):
                if pid in self.by_id:
                    keys.setdefault(pid, []).append((row, 1.0 if n == 0 else SECONDARY_PASSAGE))
        object.__setattr__(self, "keys", keys)
        topics: dict[str, dict[str, float]] = {}
        for pid, rows in keys.items():
            counts: dict[str, float] = {}
            for row, weight in rows:
                topic = self.examples[row].topic
                if topic:
                    counts[topic] = counts.get(topic, 0.0) + weight
            total = sum(counts.values())
            topics[pid] = {t: c / total for t, c in counts.items()} if total else {}
        object.__setattr__(self, "topics", topics)
        paths: dict[str, str] = {}
        for pid, rows in keys.items():
            asked = [self.examples[row].path for row, _ in rows if self.examples[row].path in ("engineering", "automation")]
            for path in ("engineering", "automation"):
                if len(asked) >= PATH_QUESTIONS and asked.count(path) >= PATH_AGREEMENT * len(asked):
                    paths[pid] = path
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "links", self._row_links())

        def rows_of(keep: Callable[[Example], bool]) -> Any:
            return np.asarray([n for n, e in enumerate(self.examples) if keep(e)], dtype=np.int64)

        object.__setattr__(self, "trait_rows", rows_of(lambda e: e.route == "trait"))
        object.__setattr__(self, "ask_rows", rows_of(lambda e: e.route == "ask"))
        object.__setattr__(self, "message_rows", rows_of(lambda e: e.route not in ("trait", "ask")))
        object.__setattr__(self, "keyed_rows", rows_of(lambda e: bool(e.passages)))
        named = (("message", self.message_rows), ("trait", self.trait_rows), ("ask", self.ask_rows), ("keyed", self.keyed_rows))
        for name, rows in named:
            matrix = self.vectors[rows] if self.vectors is not None and len(self.vectors) else np.zeros((0, 0), np.float32)
            object.__setattr__(self, f"{name}_vectors", np.ascontiguousarray(matrix))
        messages = [self.examples[row] for row in self.message_rows]
        object.__setattr__(self, "bank_messages", messages)
        labels = sorted({e.label for e in messages})
        object.__setattr__(self, "labels", labels)
        traits = [self.examples[row] for row in self.trait_rows]
        kinds = sorted({e.kind or "" for e in traits})
        object.__setattr__(self, "trait_labels", kinds)
        learned = self.trained
        if learned is None or len(learned.tokens) != len(messages):
            learned = self._train(messages, labels, traits, kinds)
        object.__setattr__(self, "trained", learned)
        tokens = learned.tokens
        object.__setattr__(self, "bank_bm25", BM25(tokens) if messages else None)
        # The words people use of the article's world: its examples' words, the off-topic ones aside.
        asks = [tokenize(self.examples[row].q) for row in self.ask_rows]
        words = frozenset(t for e, said in zip(messages, tokens, strict=True) if e.route != "offtopic" for t in said)
        words |= {t for said in asks for t in said}
        object.__setattr__(self, "bank_words", words)
        written = [p.text for p in self.passages] + [e.q for e in messages if e.route != "offtopic"]
        used = Counter(w for text in written for w in WORD.findall(text.lower()))
        spellings: dict[tuple[str, int], list[str]] = {}
        for w, times in used.items():
            if len(w) >= SPELLED_MIN and times >= SPELLED_COUNT:
                spellings.setdefault((w[0], len(w)), []).append(w)
        object.__setattr__(self, "spellings", spellings)
        object.__setattr__(self, "surface", frozenset(used))

    def _train(self, messages: list[Example], labels: list[str], traits: list[Example], kinds: list[str]) -> _Trained:
        """The classifiers and the messages' words: the slow part of a build, kept between processes."""
        classes = [labels.index(e.label) for e in messages]
        trained = self.message_vectors
        if self.followup_vectors is not None and len(self.followup_vectors) and "followup" in labels:
            # "lol ok what else trips people up there" is said after an answer, not to make small talk.
            trained = np.vstack([trained, self.followup_vectors])
            classes += [labels.index("followup")] * len(self.followup_vectors)
        return _Trained(
            _ridge(trained, classes, len(labels)),
            _ridge(self.trait_vectors, [kinds.index(e.kind or "") for e in traits], len(kinds)),
            [tokenize(e.q) for e in messages],
            forms.train(bundled_forms()),
            forms.train_labels([(e.q, kinds.index(e.kind or "")) for e in traits], len(kinds)),
        )

    def _row_links(self) -> dict[str, dict[str, str]]:
        """Each table row's paragraphs by column: the ones sharing its words (``restated_by``), else the
        paragraph of that column's path the bank's questions cite beside the row more often than any other
        ("Repetitive business workflows" and the meeting about copying data from Zoho)."""
        rows = [p for p in self.passages if p.kind == "table_row"]
        # Which path a column is, from the paragraphs the rows' words already tie it to.
        columns: dict[str, str] = {}
        for row in rows:
            for column, pid in row.restated_by.items():
                if pid in self.paths:
                    columns.setdefault(column, self.paths[pid])
        links: dict[str, dict[str, str]] = {}
        for row in rows:
            cited: dict[str, int] = {}
            for n, _ in self.keys.get(row.id, []):
                for pid in self.examples[n].passages:
                    if pid != row.id and pid in self.by_id and self.by_id[pid].kind == "paragraph":
                        cited[pid] = cited.get(pid, 0) + 1
            found = dict(row.restated_by)
            for column, path in columns.items():
                if column in found:
                    continue
                ranked = sorted(((c, pid) for pid, c in cited.items() if self.paths.get(pid) == path), reverse=True)
                if ranked and ranked[0][0] >= CO_CITED_MIN and (len(ranked) == 1 or ranked[1][0] < ranked[0][0]):
                    found[column] = ranked[0][1]
            if found:
                links[row.id] = found
        return links


def _ridge(vectors: Any, classes: list[int], n: int) -> Any:
    """Ridge regression onto one-hot labels, in closed form (a 385 x 385 solve): deterministic and instant."""
    if not len(classes) or n < 2:
        return None
    x = np.hstack([np.asarray(vectors, dtype=np.float64), np.ones((len(classes), 1))])
    targets = np.eye(n)[classes]
    # Each label's examples weigh as much together, however many there are: the biggest label is not the default.
    counts = np.bincount(classes, minlength=n).astype(np.float64)
    weights = (len(classes) / np.count_nonzero(counts) / counts[classes])[:, None]
    return np.linalg.solve(x.T @ (weights * x) + RIDGE * np.eye(x.shape[1]), x.T @ (weights * targets))


class HybridRetriever:
    """Loads the stored passages once, keeps a BM25 index beside Chroma's vectors."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._current: _Index | None = None
        self._sentence_vectors: dict[str, Any] = {}
        self._recent: dict[tuple[bytes, int], list[tuple[str, float]]] = {}
        self._sentence_file: Path | None = None  # the cache file, once read
        self._batched = False  # whether every stored sentence has been embedded (or read) in one batch
        self._sentence_lock = threading.Lock()
        self._keys: SentenceKeys | None = None
        self._keys_lock = threading.Lock()
        self._key_words: tuple[list[str], BM25] | None = None  # the sentence-level bank's questions' words, a row each

    def refresh(self) -> None:
        passages = sorted(self.store.all_passages(), key=lambda p: (p.source, p.order, p.id))
        examples, vectors = self._stored_bank()
        if len(examples):
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        asked = self._followup_vectors()
        cache = _trained_cache(self.store, examples, followup_questions() if asked is not None else [])
        learned = _load_trained(cache)
        index = _Index(passages, BM25([tokenize(f"{p.context}\n{p.text}") for p in passages]), examples, vectors, asked, learned)
        if learned is None or index.trained is not learned:
            _save_trained(cache, index.trained)
        with self._lock:
            self._current = index
            self._recent.clear()
            self._keys = None

    def _followup_vectors(self) -> Any:
        """The follow-up bank's questions as unit vectors, from the sentence cache (embedded once)."""
        asked = followup_questions()
        if not asked:
            return None
        known = self._cached_sentences()
        missing = [q for q in asked if q not in known]
        if missing:  # kept for the first batch of sentences, which saves them with its own
            known.update((q, np.asarray(v, dtype=np.float32)) for q, v in zip(missing, self.store.embedder.embed(missing)))
        matrix = np.stack([np.asarray(known[q], dtype=np.float64) for q in asked])
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    def _cached_sentences(self) -> dict[str, Any]:
        """The sentence vectors, with those the model's cache folder holds read in once."""
        if self._sentence_file is None:
            self._sentence_file = _sentence_cache(self.store)
            self._sentence_vectors.update(_load_vectors(self._sentence_file))
        return self._sentence_vectors

    def _stored_bank(self) -> tuple[list[Example], Any]:
        """The stored examples and their vectors. When the store holds this version of the bundled
        bank, that comes from the package and the vectors cached when it was embedded: reading two
        thousand examples back out of Chroma was most of a cold start's first answer."""
        digest = bundled_digest()
        try:
            vectors = np.load(bank_cache(self.store, digest))
        except (OSError, ValueError):
            return self.store.all_questions()
        examples = list(bundled_examples())
        if vectors.shape[0] != len(examples) or not self.store.questions_are_current(ARTICLE_NAME, digest):
            return self.store.all_questions()
        others, more = self.store.all_questions(besides=ARTICLE_NAME)  # questions written for ingested files
        return ([*examples, *others], np.vstack([vectors, more])) if others else (examples, vectors)

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
        return [Hit(id=p.id, text=p.text, section=p.section, score=0.0) for p in (by_id.get(i) for i in ids) if p is not None]

    def embed(self, text: str) -> Any:
        return self.store.embedder.embed([text])[0]

    def neighbours(self, vector: Any, k: int = 10, *, traits: bool = False) -> list[tuple[Example, float]]:
        """The bank examples nearest a vector, with their cosine, nearest first: messages, or with
        ``traits`` the self-description clauses."""
        index = self._index()
        rows, matrix = (index.trait_rows, index.trait_vectors) if traits else (index.message_rows, index.message_vectors)
        if index.vectors is None or not len(rows):
            return []
        sims = cosines(matrix, vector)
        top = np.argsort(-sims)[:k]
        return [(index.examples[rows[i]], float(sims[i])) for i in top]

    def asks_fit(self, vector: Any) -> float:
        """How close a message is to the nearest bare ask for a recommendation ("so where do I fit?")."""
        index = self._index()
        if index.vectors is None or not len(index.ask_rows):
            return 0.0
        return float(cosines(index.ask_vectors, vector).max())

    def classify(self, vector: Any, *, traits: bool = False, text: str = "") -> dict[str, float]:
        """What a linear classifier trained on the bank's messages (or with ``traits``, its trait
        clauses) makes of a vector: each label's probability (a softmax over its ridge scores). It
        generalises where the nearest examples scatter; cross-validated on the bank in docs/evaluation.md.
        A trait clause's ``text`` is read on its words too, the two scores averaged: "I hate waiting for
        a payoff" and "I'm fine waiting for a payoff" are neighbours to MiniLM, not to their word pairs."""
        index = self._index()
        trained = index.trained
        if trained is None:
            return {}
        weights, labels = (trained.trait_classifier, index.trait_labels) if traits else (trained.classifier, index.labels)
        if weights is None:
            return {}
        scores = np.einsum("i,ij->j", np.append(np.asarray(vector, dtype=np.float64), 1.0), weights)  # not BLAS: see cosines
        worded = forms.label_scores(trained.trait_words, text) if traits and text else None
        if worded is not None:
            scores = (1 - WORDS_WEIGHT) * scores + WORDS_WEIGHT * worded
        odds = np.exp((scores - scores.max()) / CLASSIFIER_TEMPERATURE)
        odds /= odds.sum()
        return {label: float(w) for label, w in zip(labels, odds) if w >= 1e-3}

    def asks(self, text: str) -> float:
        """How strongly a clause asks rather than tells, by the examples of both: above 0 it leans to
        asking (the reader wants 0.2, ``agent/reading.py`` FORM_MIN)."""
        trained = self._index().trained
        return forms.asks(trained.form if trained else None, text)

    def followup_cosines(self, vector: Any) -> dict[str, float]:
        """Each of the follow-up bank's questions and its cosine to ``vector``."""
        index = self._index()
        if index.followup_vectors is None:
            return {}
        return dict(zip(followup_questions(), cosines(index.followup_vectors, vector).tolist()))

    def knows(self, term: str) -> bool:
        """Whether a (stemmed) word occurs in a stored passage or in a bank example."""
        index = self._index()
        return term in index.bm25.index or term in index.bank_words

    def respelled(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        """``text`` with each word that is neither English nor used by the article's world (``keep``
        aside) read as the frequent word of that world it nearly spells: "engeneer" is "engineer".
        A misspelling keeps its first letter ("vouching" is not "touching")."""
        index = self._index()
        english = english_words()

        def fix(m: re.Match[str]) -> str:
            word = m[0].lower()
            if len(word) < SPELLED_MIN or word in index.surface or word in keep or _inflects(word, english):
                return m[0]
            near = [w for n in range(len(word) - 1, len(word) + 2) for w in index.spellings.get((word[0], n), [])]
            found = difflib.get_close_matches(word, near, n=1, cutoff=SPELLING_CUTOFF)
            return found[0] if found else m[0]

        return WORD.sub(fix, text)

    def lexical_neighbours(self, text: str, k: int = 10) -> tuple[list[tuple[Example, float]], float]:
        """The examples sharing the most (rarity-weighted) words with ``text``, each with its BM25
        score as a share of the best one's, best first (none when no word is shared); and that best score."""
        index = self._index()
        if index.bank_bm25 is None:
            return [], 0.0
        top = index.bank_bm25.top(tokenize(text, expand=True), k)
        best = float(top[0][1]) if top else 0.0
        return ([(index.bank_messages[i], score / best) for i, score in top if score > 0] if best > 0 else []), best

    def passage_topics(self, ids: list[str]) -> dict[str, float]:
        """What the bank's questions on these passages ask about, as shares summing to one (or nothing)."""
        index = self._index()
        out: dict[str, float] = {}
        for pid in ids:
            for topic, share in index.topics.get(pid, {}).items():
                out[topic] = out.get(topic, 0.0) + share / len(ids)
        return out

    def sentence_key_cosines(self, vector: Any) -> dict[str, float]:
        """Each keyed sentence of the article and the cosine of its closest key question to ``vector``
        (the search's sentence keys, one matrix)."""
        keys = self._sentence_keys(self._index())
        if keys.vectors is None or not len(keys.vectors):
            return {}
        out: dict[str, float] = {}
        for sentence, c in zip(keys.sentences, cosines(keys.vectors, vector).tolist(), strict=True):
            if c > out.get(sentence, -1.0):
                out[sentence] = c
        return out

    def sentence_key_lexical(self, text: str) -> dict[str, float]:
        """Each keyed article sentence and the BM25 score of its best key question for ``text``:
        the words of a question ("rough patch") can name a sentence's questions where MiniLM does not."""
        if self._key_words is None:
            with self._keys_lock:
                if self._key_words is None:
                    asked = _key_questions()
                    self._key_words = ([s for _, s in asked], BM25([tokenize(q) for q, _ in asked]))
        owners, bm25 = self._key_words
        out: dict[str, float] = {}
        for row, score in bm25.top(tokenize(text), KEY_LEXICAL_POOL):
            sentence = owners[row]
            out[sentence] = max(out.get(sentence, 0.0), score)
        return out

    def passage_ids(self, *, article: bool = False) -> list[str]:
        """Every stored passage's id (or, with ``article``, the bundled article's), in the order of its source."""
        return [p.id for p in self._index().passages if not article or p.source == ARTICLE_NAME]

    def passage_path(self, pid: str) -> str | None:
        """The path a passage is about, as the bank's questions on it agree ("The model isn't
        converging" is an AI Engineer's bad day, though its text never names the role)."""
        return self._index().paths.get(pid)

    def adjacent(self, ids: list[str]) -> list[str]:
        """The passages just before and after each of ``ids`` in their source, in article order."""
        index = self._index()
        out: list[str] = []
        for pid in ids:
            at = index.position.get(pid)
            if at is None:
                continue
            for n in (at - 1, at, at + 1):
                if 0 <= n < len(index.passages) and index.passages[n].source == index.passages[at].source:
                    if index.passages[n].id not in out:
                        out.append(index.passages[n].id)
        return out

    def sentence_vectors(self, sentences: list[str]) -> dict[str, Any]:
        """MiniLM vectors of passage sentences (and the questions keying them). The first call embeds
        every stored passage's sentences and every key in one batch (or reads them from the model's cache folder, where a first process
        left them), so turns never embed a sentence, and concurrent turns wait for one batch
        rather than each embedding and saving its own."""
        missing = [s for s in dict.fromkeys(sentences) if s not in self._sentence_vectors]
        if missing:
            with self._sentence_lock:
                self._fill_sentences(missing)
        return {s: self._sentence_vectors[s] for s in sentences}

    def _fill_sentences(self, wanted: list[str]) -> None:
        if not self._batched:
            self._batched = True
            self._cached_sentences()
            stored = [t for p in self._index().passages for t in sentences_of(p.text)]
            keys = [q for qs in sentence_keys().values() for q in qs]
            stored = [*stored, *keys, *(f.q for f in followup_keys())][:SENTENCE_CACHE]
            wanted = [*stored, *wanted]
        missing = [s for s in dict.fromkeys(wanted) if s not in self._sentence_vectors]
        if not missing:
            return
        for s, v in zip(missing, self.store.embedder.embed(missing)):
            self._sentence_vectors[s] = np.asarray(v, dtype=np.float32)
        if len(self._sentence_vectors) <= SENTENCE_CACHE and self._sentence_file is not None:
            _save_vectors(self._sentence_file, self._sentence_vectors)

    def _sentence_keys(self, index: _Index) -> SentenceKeys:
        """The sentence-level bank as more keys of the passages holding its sentences: a question
        near "what did the 2023 hype get wrong?" finds the passage whose sentence it was written for."""
        with self._keys_lock:  # concurrent first searches build them once
            keys = self._keys
            if keys is None or keys.index is not index:
                owner: dict[str, str] = {}
                for p in index.passages:
                    if p.source == ARTICLE_NAME:  # a file quoting the article does not take its sentences' questions
                        for s in sentences_of(p.text):
                            owner.setdefault(s, p.id)
                asked = [(q, s) for q, s in _key_questions() if s in owner]
                vectors = self.sentence_vectors([q for q, _ in asked]) if asked else {}
                matrix = np.stack([vectors[q] for q, _ in asked]) if asked else np.zeros((0, 0), np.float32)
                keys = SentenceKeys(index, matrix, [owner[s] for _, s in asked], [s for _, s in asked])
                self._keys = keys
            return keys

    def _dense(self, vector: Any, pool: int) -> list[tuple[str, float]]:
        """The store's nearest passages to a vector; a turn searches one vector twice (its reading,
        then its answer with the topic's words), so the last few are kept."""
        key = (np.asarray(vector, dtype=np.float32).tobytes(), pool)
        with self._lock:
            found = self._recent.get(key)
        if found is None:
            found = self.store.dense(vector, pool)
            with self._lock:
                self._recent[key] = found
                while len(self._recent) > RECENT_SEARCHES:
                    self._recent.pop(next(iter(self._recent)))
        return found

    def search(self, query: str, k: int = 5, *, vector: Any = None, reading: bool = False) -> list[Hit]:
        """The best passages for ``query``; ``vector`` is its embedding when the caller has it already.

        With ``reading``, the search is one of the readings a message's topic is voted from: the
        passages sharing most of its words count, however few those are, and the bank classifier
        (which votes on its own) does not. Otherwise it finds passages to answer from: the
        classifier's reading counts, and the article's passages count shared words fully only
        from ``PASSAGE_LEXICAL_FULL``.
        """
        query, k = check_query(query, k)
        index = self._index()
        terms = tokenize(query, expand=True)
        if vector is None:
            vector = self.embed(query)
        pool = max(CANDIDATES, k)  # a k beyond the usual pool still gets k passages when the store has them
        dense = self._dense(vector, pool)
        keyed = _question_match(index, vector, self._sentence_keys(index) if len(index.keyed_rows) else None)
        if reading:
            fused = _fuse(index, dense, keyed, terms, pool)
        else:
            fused = _fuse(index, dense, keyed, terms, pool, self.classify(vector), lexical_full=PASSAGE_LEXICAL_FULL)
        ranked = _sources_first(index, fused, set(terms))[:k]
        similarity = dict(dense)
        hits = []
        for pid, score in ranked:
            p = index.by_id[pid]
            hit = Hit(id=pid, text=p.text, section=p.section, score=round(score, 4))
            hit.similarity = similarity.get(pid)
            hits.append(hit)
        return hits


def followup_questions() -> list[str]:
    """The follow-up bank's questions, each once, in the order of the index's follow-up vectors."""
    return list(dict.fromkeys(f.q for f in followup_keys()))


def _key_questions() -> list[tuple[str, str]]:
    """Every question of the sentence-level bank, with the sentence it asks for."""
    return [(q, s) for s, qs in sentence_keys().items() for q in qs]


def cosines(matrix: Any, vector: Any) -> Any:
    """Each row's dot product with ``vector`` (unit vectors: cosines). numpy's own loop, not BLAS:
    OpenBLAS serialises concurrent calls on a spinning lock, and a turn makes several of these
    small products, so 50 sessions at once cost 16 times the CPU a turn takes alone."""
    return np.einsum("ij,j->i", matrix, np.asarray(vector, dtype=np.float32))


SENTENCE_CACHE = 20_000  # sentences kept on disk; a store larger than this embeds the rest per process


def bank_cache(store: Store, digest: str) -> Path:
    """Where the bundled bank's vectors are kept, per bank and model, beside the model's export."""
    from pathwise.knowledge.embeddings import WEIGHTS_SHA256

    return Path(store.settings.cache_dir) / f"bank-{digest}-{WEIGHTS_SHA256[:12]}.npy"


def _sentence_cache(store: Store) -> Path:
    from pathwise.knowledge.embeddings import WEIGHTS_SHA256

    return Path(store.settings.cache_dir) / f"sentences-{WEIGHTS_SHA256[:12]}.npz"


def _trained_cache(store: Store, examples: list[Example], followups: list[str]) -> Path:
    """Where a build's classifiers are kept, named by everything they are learned from: the examples,
    the follow-up questions, the labelled clauses of forms.jsonl, the model, the code that reads words
    and the Hinglish lexicon it glosses with."""
    from pathwise.knowledge import lexical
    from pathwise.knowledge.embeddings import WEIGHTS_SHA256

    taught = json.dumps(
        [[e.q, e.label, e.kind, e.route, e.ask] for e in examples]
        + [followups, bundled_forms(), RIDGE, WEIGHTS_SHA256, sorted(lexical.hinglish()[0].items())]
    )
    code = Path(lexical.__file__).read_bytes() + Path(forms.__file__).read_bytes()
    digest = hashlib.sha256(taught.encode() + code).hexdigest()[:16]
    return Path(store.settings.cache_dir) / f"trained-{digest}.npz"


def _load_trained(path: Path) -> _Trained | None:
    try:
        with np.load(path) as data:
            tokens = json.loads(str(data["tokens"]))
            if not isinstance(tokens, list):
                return None
            return _Trained(data["classifier"], data["trait_classifier"], tokens, data["form"], data["trait_words"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # none yet, or a file another version or process left
        return None


def _save_trained(path: Path, trained: _Trained | None) -> None:
    if trained is None or any(
        w is None for w in (trained.classifier, trained.trait_classifier, trained.form, trained.trait_words)
    ):
        return
    # A read-only cache costs the next process its training, nothing more.
    _write_npz(
        path,
        "the trained classifiers",
        classifier=trained.classifier,
        trait_classifier=trained.trait_classifier,
        tokens=np.asarray(json.dumps(trained.tokens)),
        form=trained.form,
        trait_words=trained.trait_words,
    )


def _load_vectors(path: Path) -> dict[str, Any]:
    try:
        with np.load(path) as data:
            return dict(zip(data["texts"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError):  # none yet, or a partial file another process left
        return {}


def _save_vectors(path: Path, vectors: dict[str, Any]) -> None:
    # A read-only cache costs a new process its embedding time, nothing more.
    _write_npz(path, "sentence vectors", texts=np.asarray(list(vectors), dtype=str), vectors=np.stack(list(vectors.values())))


def _write_npz(path: Path, what: str, **arrays: Any) -> None:
    """Arrays into ``path`` whole or not at all (another process may be reading it); a failure is logged."""
    partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(partial, **arrays)
        partial.replace(path)
    except OSError as exc:
        log.info("could not keep %s in %s: %s", what, path, exc)


@dataclass(frozen=True)
class SentenceKeys:
    index: _Index  # the index whose passages these point at
    vectors: Any
    passages: list[str]  # each key's passage
    sentences: list[str]  # each key's sentence


def _question_match(index: _Index, vector: Any, keys: SentenceKeys | None = None) -> dict[str, float]:
    """Each passage's best match among the bank questions that point at it, and the sentence-level
    bank's questions on its sentences (multi-vector keys)."""
    if index.vectors is None or not len(index.keyed_rows):
        return {}
    sims = cosines(index.keyed_vectors, vector)
    out: dict[str, float] = {}
    for n in np.argsort(-sims)[:QUESTION_CANDIDATES]:
        for rank, pid in enumerate(index.examples[index.keyed_rows[n]].passages):
            if pid in index.by_id:
                score = float(sims[n]) * (1.0 if rank == 0 else SECONDARY_PASSAGE)
                out[pid] = max(out.get(pid, 0.0), score)
    if keys is not None and len(keys.passages):
        sims = cosines(keys.vectors, vector)
        for n in np.argsort(-sims)[:QUESTION_CANDIDATES]:
            out[keys.passages[n]] = max(out.get(keys.passages[n], 0.0), float(sims[n]) * SENTENCE_KEY_SCALE)
    return out


def _fuse(
    index: _Index,
    dense: list[tuple[str, float]],
    keyed: dict[str, float],
    terms: list[str],
    pool: int,
    topics: dict[str, float] | None = None,
    lexical_full: float = 0.0,
) -> list[tuple[str, float]]:
    """Score = shares of BM25 / best BM25 (but see below), the passage's cosine and its best
    question's cosine, best first; plus, with ``topics`` (the bank classifier's reading of the query), how far the topics
    of the bank's questions on the passage agree with it.

    Each part lies in [0, 1] whatever the query. A candidate found only by BM25 takes the
    lowest cosine the dense search returned: its own is no higher than that; a passage no
    close question points at takes the lowest question match. A passage stored after this
    index was loaded is left for the next refresh. Without a bank (a store of ingested files
    alone) the question share goes to the passage's cosine. A passage the bank's questions key
    scales its BM25 by ``lexical_full`` at least: its questions say what it answers, and two
    common words shared say little; an ingested file's passages have their words and cosine alone.
    """
    lexical = index.bm25.scores(terms)
    best_lexical = float(lexical.max()) if len(lexical) else 0.0
    keyed_scale = max(best_lexical, lexical_full)
    cosine = {pid: max(sim, 0.0) for pid, sim in dense if pid in index.by_id}
    floor = min(cosine.values(), default=0.0)
    candidates = set(cosine) | {index.passages[i].id for i, _ in index.bm25.best(lexical, pool)} | set(keyed)
    key_floor = min(keyed.values(), default=0.0)
    fused = {}
    for pid in candidates:
        score = float(lexical[index.position[pid]])
        dense_part = cosine.get(pid, floor)
        if keyed and pid in index.keys:
            lex = score / keyed_scale if keyed_scale > 0 else 0.0
            fused[pid] = LEXICAL_SHARE * lex + DENSE_SHARE * dense_part + QUESTION_SHARE * keyed.get(pid, key_floor)
        else:  # a passage the bank says nothing of (an ingested file): its own cosine stands in
            lex = score / best_lexical if best_lexical > 0 else 0.0
            fused[pid] = LEXICAL_SHARE * lex + (DENSE_SHARE + QUESTION_SHARE) * dense_part
        if topics:
            fused[pid] += TOPIC_SHARE * sum(topics.get(t, 0.0) * share for t, share in index.topics.get(pid, {}).items())
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
        links = index.links.get(row_id)
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
