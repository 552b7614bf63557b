"""The Chroma collection that holds the passages: opened embedded or over HTTP, ingested idempotently.

Each source file's passages carry a ``source`` tag; ingesting a source upserts its passages by
content-hash id and deletes the ones that are gone, so a re-run changes nothing and an edited
article replaces only what changed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from pathwise.errors import StoreError
from pathwise.knowledge.article import Passage

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.embeddings import Embedder

log = logging.getLogger("pathwise.store")

CHUNKER_VERSION = "4"  # bump when parsing or chunking changes: stored sources then rebuild


def source_hash(passages: list[Passage]) -> str:
    digest = hashlib.sha256(CHUNKER_VERSION.encode())
    for p in passages:
        digest.update(p.id.encode())
        digest.update(p.context.encode())
    return digest.hexdigest()[:16]


def _chroma_embedding_function(embedder: Embedder) -> Any:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class MiniLM(EmbeddingFunction[Documents]):
        def __init__(self) -> None:
            self._embedder = embedder

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's protocol names it so
            return list(self._embedder.embed(list(input)))

        @staticmethod
        def name() -> str:
            return "pathwise-minilm-onnx"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> MiniLM:
            raise StoreError("the pathwise embedding function is built by pathwise, not from config")

    return MiniLM()


@dataclass
class StoredPassage:
    id: str
    text: str
    section: str
    context: str
    source: str
    order: int
    kind: str = "paragraph"


class Store:
    """A Chroma collection of passages plus the embedder that fills and queries it."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client = _open_client(settings)
        try:
            self.collection = self._client.get_or_create_collection(
                settings.collection,
                embedding_function=_chroma_embedding_function(embedder),
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:  # chromadb raises many untyped errors for a broken store
            raise StoreError(f"cannot open the passage store: {_one_line(exc)}") from exc

    # -- writing -------------------------------------------------------------------------
    def source_is_current(self, source: str, passages: list[Passage]) -> bool:
        meta = self.collection.metadata or {}
        return meta.get(f"source:{source}") == source_hash(passages) and self.count() > 0

    def ingest(self, source: str, passages: list[Passage]) -> dict[str, int]:
        """Make the stored passages of ``source`` exactly ``passages``; returns what changed.

        Unchanged content under an unchanged chunker is skipped whole; otherwise every passage is
        upserted again (their ids are content hashes, so nothing is duplicated).
        """
        with self._writer_lock():
            if self.source_is_current(source, passages):
                return {"added": 0, "updated": 0, "removed": 0, "unchanged": len(passages)}
            existing = set(self._ids_of(source))
            wanted = {p.id for p in passages}
            stale = sorted(existing - wanted)
            try:
                if stale:
                    self.collection.delete(ids=stale)
                for start in range(0, len(passages), 1000):
                    batch = passages[start : start + 1000]
                    self.collection.upsert(
                        ids=[p.id for p in batch],
                        documents=[p.text for p in batch],
                        # context words help BM25 but blur MiniLM's vectors (measured on the dev set)
                        embeddings=self.embedder.embed([p.text for p in batch]),
                        metadatas=[
                            {"section": p.section, "context": p.context, "source": source, "order": p.order, "kind": p.kind}
                            for p in batch
                        ],
                    )
                meta = dict(self.collection.metadata or {})
                meta[f"source:{source}"] = source_hash(passages)
                meta.pop("hnsw:space", None)  # fixed at creation; Chroma refuses to modify it
                self.collection.modify(metadata=meta)
            except OSError as exc:
                raise StoreError(_os_message(exc, self.settings.home)) from exc
            except Exception as exc:
                raise StoreError(f"could not write passages to the store: {_one_line(exc)}") from exc
        added = len(wanted - existing)
        return {"added": added, "updated": len(wanted) - added, "removed": len(stale), "unchanged": 0}

    def reset(self) -> None:
        with self._writer_lock():
            try:
                self._client.delete_collection(self.settings.collection)
            except Exception:  # absent already: nothing to reset
                log.info("no collection to delete")
            self.collection = self._client.get_or_create_collection(
                self.settings.collection,
                embedding_function=_chroma_embedding_function(self.embedder),
                metadata={"hnsw:space": "cosine"},
            )

    # -- reading -------------------------------------------------------------------------
    def count(self) -> int:
        try:
            return self.collection.count()
        except Exception as exc:
            raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc

    def all_passages(self) -> list[StoredPassage]:
        out: list[StoredPassage] = []
        total = self.count()
        for offset in range(0, total, 5000):
            got = self.collection.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            for pid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or []):
                meta = meta or {}
                out.append(
                    StoredPassage(
                        id=pid,
                        text=doc or "",
                        section=str(meta.get("section", "")),
                        context=str(meta.get("context", "")),
                        source=str(meta.get("source", "")),
                        order=int(meta.get("order", 0)),
                        kind=str(meta.get("kind", "paragraph")),
                    )
                )
        return out

    def dense(self, vector: Any, n: int) -> list[tuple[str, float]]:
        """Nearest passages to a query vector: (id, cosine similarity)."""
        n = min(n, self.count())
        if n <= 0:
            return []
        try:
            res = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        except Exception as exc:
            raise StoreError(f"the store failed a search: {_one_line(exc)}") from exc
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], (res["distances"] or [[]])[0])]

    def _ids_of(self, source: str) -> list[str]:
        got = self.collection.get(where={"source": source}, include=[])
        return list(got["ids"])

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        """One writer at a time across processes (Chroma's embedded store is not process-safe)."""
        if self.settings.chroma_url:
            yield
            return
        path = Path(self.settings.home) / "ingest.lock"
        try:
            fh = path.open("a")
        except OSError as exc:
            raise StoreError(_os_message(exc, self.settings.home)) from exc
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise StoreError(f"PATHWISE_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}")
        try:
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {_one_line(exc)}") from exc
    home = Path(settings.home)
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise StoreError(_os_message(exc, home)) from exc
    try:
        return chromadb.PersistentClient(path=str(home / "chroma"), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(f"cannot open the passage store in {home / 'chroma'}: {_one_line(exc)}") from exc


def _os_message(exc: OSError, home: Path) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the data directory {home} is not writable (set PATHWISE_HOME to a writable folder)"
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device holding {home}"
    return f"cannot use the data directory {home}: {exc.strerror or exc}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
