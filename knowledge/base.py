"""The knowledge layer's one door: open the store, keep the bundled article ingested, search it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pathwise.errors import InputError
from pathwise.knowledge.article import Passage, parse_article
from pathwise.knowledge.corpus import ARTICLE_NAME, bundled_article
from pathwise.knowledge.facts import FactSheet, bundled_facts
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.retrieval import HybridRetriever
    from pathwise.knowledge.store import Store

log = logging.getLogger("pathwise.knowledge")

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
    """Store + retriever + fact sheet, opened once per process."""

    def __init__(self, store: Store, retriever: HybridRetriever, facts: FactSheet) -> None:
        self.store = store
        self.retriever = retriever
        self.facts = facts

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

    def ensure_bundled(self) -> None:
        """(Re)build the bundled article's passages when missing or out of date."""
        passages = bundled_article().passages
        if not self.store.source_is_current(ARTICLE_NAME, passages):
            log.info("ingesting the bundled article")
            self.store.ingest(ARTICLE_NAME, passages)
            self.retriever.refresh()

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
        return self.retriever.search(query, k)

    def get(self, ids: list[str]) -> list[Hit]:
        return self.retriever.get(ids)

    def idf(self, term: str) -> float:
        return self.retriever.idf(term)
