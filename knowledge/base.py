"""The knowledge layer's one door: open the store, keep the bundled article ingested, search it."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pathwise.errors import InputError, StoreError
from pathwise.knowledge.article import Passage, parse_article
from pathwise.knowledge.bank import Example, bank_digest, bundled_digest, bundled_examples, followup_keys, sentence_keys
from pathwise.knowledge.corpus import ARTICLE_NAME, bundled_article
from pathwise.knowledge.facts import FactSheet, bundled_facts
from pathwise.knowledge.lexical import sentences, tokenize
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.retrieval import HybridRetriever
    from pathwise.knowledge.store import Store

log = logging.getLogger("pathwise.knowledge")

T = TypeVar("T")

MAX_FILE_BYTES = 5_000_000
SAID_SHARE = 0.8  # of a bank sentence's words an answer must hold to have said it
FOLLOWUP_NEIGHBOURS = 10  # the message's nearest bank follow-ups, whose kinds say what it asks
PARTLY_SAID = 0.1  # what a bank line said only in other words loses
FOLLOWUP_MIN = 0.3  # a bank follow-up less like the message than this is another question
KIND_WEIGHT = 0.5  # a follow-up of the kind most of them ask counts this much more


def read_source(path: Path) -> tuple[str, list[Passage]]:
    """A text file's passages, or a one-line reason it cannot be ingested."""
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise InputError(f"{path} is empty: nothing to ingest")
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path} is larger than {MAX_FILE_BYTES // 1_000_000} MB: split it first")
    if b"\x00" in data:
        raise InputError(f"{path} looks binary: pathwise ingests UTF-8 text files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}); convert it first") from exc
    parsed = parse_article(text, source=path.name)
    if not parsed.passages:
        raise InputError(f"{path} has no paragraphs pathwise can use")
    return path.name, parsed.passages


class KnowledgeBase:
    """Store + retriever + fact sheet, opened once per process.

    Reads repair the store once when it fails under them (its files deleted, its collection
    dropped, another process's writes): reopen it, re-ingest the bundled article if it is
    gone, and try again; a second failure is the caller's one clear error.
    """

    def __init__(self, store: Store, retriever: HybridRetriever, facts: FactSheet) -> None:
        self.store = store
        self.retriever = retriever
        self.facts = facts
        self._repair_lock = threading.Lock()
        self._repairs = 0

    @classmethod
    def open(cls, settings: Settings, *, ensure_bundled: bool = True, snapshot: bool = False) -> KnowledgeBase:
        """Open the store; with ``snapshot`` (a one-shot command that only reads), from the store's
        copy when it is current, and otherwise from Chroma, leaving a fresh copy for the next one."""
        from pathwise.knowledge.embeddings import load_embedder
        from pathwise.knowledge.retrieval import HybridRetriever
        from pathwise.knowledge.store import Store, import_chromadb

        if snapshot:
            kb = cls._from_snapshot(settings)
            if kb is not None:
                return kb
        # The model loads mostly outside the GIL: beside chromadb's import it costs a cold start little.
        with ThreadPoolExecutor(max_workers=1) as pool:
            embedder = pool.submit(load_embedder, Path(settings.cache_dir))
            import_chromadb()
            store = Store(settings, embedder.result())
        kb = cls(store, HybridRetriever(store), bundled_facts())
        if ensure_bundled:
            kb.ensure_bundled()
        if snapshot:
            from pathwise.knowledge import snapshot as copy

            copy.save(store)
        return kb

    @classmethod
    def _from_snapshot(cls, settings: Settings) -> KnowledgeBase | None:
        from pathwise.knowledge import snapshot as copy
        from pathwise.knowledge.embeddings import load_embedder
        from pathwise.knowledge.retrieval import HybridRetriever

        with ThreadPoolExecutor(max_workers=1) as pool:  # the model loads while the copy is read
            embedder = pool.submit(load_embedder, Path(settings.cache_dir))
            store = copy.load(settings)
            if store is None:
                return None
            store.embedder = embedder.result()
        if not (
            store.source_is_current(ARTICLE_NAME, bundled_article().passages)
            and store.questions_are_current(ARTICLE_NAME, bundled_digest())
        ):  # an upgrade's article or bank: Chroma rebuilds them
            return None
        return cls(store, HybridRetriever(store), bundled_facts())  # type: ignore[arg-type]

    def ensure_bundled(self) -> bool:
        """(Re)build the bundled article's passages and question bank when missing or out of date; True if it did."""
        passages = bundled_article().passages
        examples = list(bundled_examples())
        digest = bundled_digest()
        if self.store.source_is_current(ARTICLE_NAME, passages) and self.store.questions_are_current(ARTICLE_NAME, digest):
            return False
        log.info("ingesting the bundled article and its question bank")
        self.store.ingest(ARTICLE_NAME, passages)
        self.store.ingest_questions(ARTICLE_NAME, examples, digest, self._bank_vectors(examples, digest))
        self.retriever.refresh()
        return True

    def _bank_vectors(self, examples: list[Example], digest: str) -> Any:
        """The bundled bank's vectors, embedded once per bank and model and kept beside the model's
        export: a new store (a new PATHWISE_HOME) then fills in a second, not twenty."""
        import numpy as np

        from pathwise.knowledge.retrieval import bank_cache

        cache = bank_cache(self.store, digest)
        try:
            vectors = np.load(cache)
            if vectors.shape[0] == len(examples):
                return vectors
        except (OSError, ValueError):
            pass
        vectors = np.asarray(self.store.embedder.embed([e.q for e in examples]), dtype=np.float32)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(partial, vectors)
            partial.replace(cache)
        except OSError as exc:  # a read-only cache only costs the next new store its embedding time
            log.info("could not keep the question bank's vectors in %s: %s", cache, exc)
        return vectors

    def ingest(
        self,
        paths: list[Path],
        *,
        reset: bool = False,
        questions: Callable[[str, list[Passage]], list[Example]] | None = None,
    ) -> list[dict[str, object]]:
        """Store the files' passages (default: the bundled article). ``questions`` writes each
        file's questions people would ask of its passages (a model does, when one is configured);
        they become extra search keys. Without it a file is searched by its passages alone."""
        sources = [read_source(p) for p in paths] if paths else [(ARTICLE_NAME, bundled_article().passages)]
        names = [name for name, _ in sources]
        clash = next((n for n in names if names.count(n) > 1), None)
        if clash:  # a source is known by its file name: the second would silently replace the first
            raise InputError(f"more than one source is named {clash}: rename one of them")
        if reset:
            self.store.reset()
            if paths:  # the bundled article always stays in the store
                sources.insert(0, (ARTICLE_NAME, bundled_article().passages))
        report = []
        for name, passages in sources:
            changed = self.store.ingest(name, passages)
            row: dict[str, object] = {"source": name, "passages": len(passages), **changed}
            if name == ARTICLE_NAME:
                examples = list(bundled_examples())
                digest = bundled_digest()
                self.store.ingest_questions(name, examples, digest, self._bank_vectors(examples, digest))
                row["questions"] = sum(1 for e in examples if e.passages)
            elif questions is not None and not (changed.get("unchanged") == len(passages) and self.store.has_questions(name)):
                written = questions(name, passages)
                self.store.ingest_questions(name, written, bank_digest(written))
                row["questions"] = len(written)
            else:
                row["questions"] = None
            report.append(row)
        self.retriever.refresh()
        return report

    def search(self, query: str, k: int = 5, *, vector: Any = None, reading: bool = False) -> list[Hit]:
        if isinstance(query, str):  # a lone surrogate (from a JSON escape or a bad byte) cannot be tokenized
            query = query.encode("utf-8", "replace").decode("utf-8")
        return self._read(lambda: self.retriever.search(query, k, vector=vector, reading=reading))

    def embed(self, text: str) -> Any:
        return self.retriever.embed(text.encode("utf-8", "replace").decode("utf-8"))

    def neighbours(self, vector: Any, k: int = 10, *, traits: bool = False) -> list[tuple[Example, float]]:
        return self._read(lambda: self.retriever.neighbours(vector, k, traits=traits))

    def classify(self, vector: Any, *, traits: bool = False, text: str = "") -> dict[str, float]:
        return self._read(lambda: self.retriever.classify(vector, traits=traits, text=text))

    def asks(self, text: str) -> float:
        return self._read(lambda: self.retriever.asks(text))

    def asks_fit(self, vector: Any) -> float:
        return self._read(lambda: self.retriever.asks_fit(vector))

    def embed_many(self, texts: list[str]) -> Any:
        return self.store.embedder.embed([t.encode("utf-8", "replace").decode("utf-8") for t in texts])

    def adjacent(self, ids: list[str]) -> list[str]:
        return self._read(lambda: self.retriever.adjacent(ids))

    def passage_ids(self, *, article: bool = False) -> list[str]:
        return self._read(lambda: self.retriever.passage_ids(article=article))

    def passage_path(self, pid: str) -> str | None:
        return self._read(lambda: self.retriever.passage_path(pid))

    def passage_topics(self, ids: list[str]) -> dict[str, float]:
        return self._read(lambda: self.retriever.passage_topics(ids))

    def knows(self, term: str) -> bool:
        return self._read(lambda: self.retriever.knows(term))

    def respelled(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        return self._read(lambda: self.retriever.respelled(text, keep))

    def lexical_neighbours(self, text: str, k: int = 10) -> tuple[list[tuple[Example, float]], float]:
        return self._read(lambda: self.retriever.lexical_neighbours(text, k))

    def sentence_cosines(self, texts: list[str], vector: Any) -> dict[str, float]:
        """Each of ``texts`` (stored passages' sentences) and its MiniLM cosine to ``vector``."""
        return self._cosines(texts, vector)

    def sentence_similarity(self, text: str, hits: list[Hit], vector: Any = None) -> dict[str, float]:
        """Each sentence of ``hits``' text and its MiniLM cosine to ``text`` (whose ``vector`` may be known)."""
        query = self.embed(text) if vector is None else vector
        return self._cosines([s for h in hits for s in sentences(h.text)], query)

    def sentence_key_cosines(self, vector: Any) -> dict[str, float]:
        """Every keyed sentence of the article and the cosine of its closest key question to ``vector``."""
        return self._read(lambda: self.retriever.sentence_key_cosines(vector))

    def sentence_key_lexical(self, text: str) -> dict[str, float]:
        return self._read(lambda: self.retriever.sentence_key_lexical(text))

    def sentence_key_similarity(self, vector: Any, hits: list[Hit]) -> dict[str, float]:
        """Each keyed sentence of ``hits`` and the cosine of its closest key question to ``vector``
        (``bank.sentence_keys``): "how do people get through that?" is far from "This takes
        patience and comfort with ambiguity" and near a question it answers."""
        keys = sentence_keys()
        keyed = {s: keys[s] for h in hits for s in sentences(h.text) if s in keys}
        sims = self._cosines([q for qs in keyed.values() for q in qs], vector)
        return {s: max(sims[q] for q in qs) for s, qs in keyed.items()} if sims else {}

    def followup_answers(self, said: str, vector: Any) -> dict[str, float]:
        """The article sentences the follow-up bank says answer a follow-up to an answer that said
        ``said``, each scored by its closest such follow-up: that one's cosine to ``vector``, plus
        the share of the message's nearest bank follow-ups (of any sentence) that ask its kind.
        MiniLM puts "what causes it" far from "why?", but near "what causes that?" elsewhere.
        An entry counts when ``said`` holds most of the words of the sentence it follows: answers
        compose the article's lines ("Automation Specialists break at months 18-24 (maintenance
        overload).")."""
        bank = followup_keys()
        sims = self._read(lambda: self.retriever.followup_cosines(vector))
        if not sims:
            return {}
        kinds: dict[str, float] = {}
        nearest = sorted(bank, key=lambda f: -sims.get(f.q, -1.0))[:FOLLOWUP_NEIGHBOURS]
        for f in nearest:
            kinds[f.kind] = kinds.get(f.kind, 0.0) + 1 / len(nearest)
        words = set(tokenize(said))
        out: dict[str, float] = {}
        for f in bank:
            share = _share(f.said, words)
            if sims.get(f.q, -1.0) >= FOLLOWUP_MIN and share >= SAID_SHARE:
                # A line not said word for word counts for less: "Year three isn't necessarily easier than
                # year one" holds every word of "Year three is easier than year one."
                partly = 0.0 if f.said in said else PARTLY_SAID + (1.0 - share)
                score = sims[f.q] + KIND_WEIGHT * kinds.get(f.kind, 0.0) - partly
                out[f.answer] = max(out.get(f.answer, -1.0), score)
        return out

    def _cosines(self, texts: list[str], vector: Any) -> dict[str, float]:
        """Each text's cosine to ``vector``, from the cached vectors of the article's sentences and keys."""
        vectors = self._read(lambda: self.retriever.sentence_vectors(texts)) if texts else {}
        if not vectors:
            return {}
        import numpy as np

        from pathwise.knowledge.retrieval import cosines

        sims = cosines(np.stack(list(vectors.values())), vector)
        return {t: float(c) for t, c in zip(vectors, sims)}

    def get(self, ids: list[str]) -> list[Hit]:
        return self._read(lambda: self.retriever.get(ids))

    def idf(self, term: str) -> float:
        return self._read(lambda: self.retriever.idf(term))

    def _read(self, read: Callable[[], T]) -> T:
        seen = self._repairs
        try:
            return read()
        except StoreError as exc:
            self._repair(exc, seen)
        return read()

    def _repair(self, exc: StoreError, seen: int) -> None:
        with self._repair_lock:
            if self._repairs != seen:  # another thread repaired it while this one waited
                return
            log.warning("the passage store failed (%s); reopening it", exc)
            self.store.reopen()
            if self.ensure_bundled():
                log.warning(
                    "the passage store had lost the bundled article; rebuilt it from the copy shipped with pathwise "
                    "(ingest your own files again)"
                )
            self.retriever.refresh()
            self._repairs += 1


def _share(sentence: str, words: set[str]) -> float:
    """The share of ``sentence``'s words that are among ``words``."""
    own = _words(sentence)
    return len(own & words) / len(own) if own else 0.0


@lru_cache(maxsize=4096)
def _words(sentence: str) -> frozenset[str]:
    """A bank sentence's words, read once: every follow-up checks all of the bank's."""
    return frozenset(tokenize(sentence))
