"""The knowledge layer's one door: open the store, keep the bundled article ingested, search it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pathwise.errors import InputError, StoreError
from pathwise.knowledge.article import Passage, parse_article
from pathwise.knowledge.corpus import ARTICLE_NAME, bundled_article
from pathwise.knowledge.facts import FactSheet, bundled_facts
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.retrieval import HybridRetriever
    from pathwise.knowledge.store import Store

log = logging.getLogger("pathwise.knowledge")

T = TypeVar("T")

MAX_FILE_BYTES = 5_000_000


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
    def open(cls, settings: Settings, *, ensure_bundled: bool = True) -> KnowledgeBase:
        from pathwise.knowledge.embeddings import load_embedder
        from pathwise.knowledge.retrieval import HybridRetriever
        from pathwise.knowledge.store import Store

        store = Store(settings, load_embedder(Path(settings.cache_dir)))
        kb = cls(store, HybridRetriever(store), bundled_facts())
        if ensure_bundled:
            kb.ensure_bundled()
        return kb

    def ensure_bundled(self) -> bool:
        """(Re)build the bundled article's passages when missing or out of date; True if it did."""
        passages = bundled_article().passages
        if self.store.source_is_current(ARTICLE_NAME, passages):
            return False
        log.info("ingesting the bundled article")
        self.store.ingest(ARTICLE_NAME, passages)
        self.retriever.refresh()
        return True

    def ingest(self, paths: list[Path], *, reset: bool = False) -> list[dict[str, object]]:
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
            report.append({"source": name, "passages": len(passages), **changed})
        self.retriever.refresh()
        return report

    def search(self, query: str, k: int = 5) -> list[Hit]:
        if isinstance(query, str):  # a lone surrogate (from a JSON escape or a bad byte) cannot be tokenized
            query = query.encode("utf-8", "replace").decode("utf-8")
        return self._read(lambda: self.retriever.search(query, k))

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
