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
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlparse

from pathwise.errors import StoreError
from pathwise.knowledge.article import Passage
from pathwise.knowledge.bank import Example

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.types import TextEmbedder

log = logging.getLogger("pathwise.store")

CHUNKER_VERSION = "5"  # bump when parsing or chunking changes: stored sources then rebuild


def source_hash(passages: list[Passage]) -> str:
    digest = hashlib.sha256(CHUNKER_VERSION.encode())
    for p in passages:
        digest.update(p.id.encode())
        digest.update(p.context.encode())
        digest.update(json.dumps(p.restated_by, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _chroma_embedding_function(embedder: TextEmbedder, cache_dir: Path) -> Any:
    from pathwise.knowledge.chroma_ef import MiniLMOnnx

    return MiniLMOnnx(embedder, cache_dir)


@dataclass
class StoredPassage:
    id: str
    text: str
    section: str
    context: str
    source: str
    order: int
    kind: str = "paragraph"
    restated_by: dict[str, str] = field(default_factory=dict)


class Store:
    """A Chroma collection of passages plus the embedder that fills and queries it.

    The embedded store is shared between processes through its files only, so every writer
    holds ``ingest.lock`` and bumps the generation number written in it; a process that finds
    the number changed since it last looked reads the files afresh before it writes, instead
    of writing over another process's work from its stale view.
    """

    def __init__(self, settings: Settings, embedder: TextEmbedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client: Any = None
        self.collection: Any = None
        self.questions: Any = None  # the question bank's vectors: extra keys for the passages they point at
        self._generation = ""
        if settings.chroma_url:
            self._connect()
            return
        _check_home(Path(settings.home))
        with self._writer_lock() as lock:  # no other process writes while this one opens (or creates) the store
            self._generation = _read_generation(lock)
            self._open_embedded()

    def reopen(self) -> None:
        """Forget this process's view of the store and open it again from its files (moved aside if unreadable)."""
        if self.settings.chroma_url:
            self._connect()
            return
        _check_home(Path(self.settings.home))
        with self._writer_lock() as lock:
            _forget_system(self._path)
            self._generation = _read_generation(lock)
            self._open_embedded()

    @property
    def _path(self) -> Path:
        return Path(self.settings.home) / "chroma"

    def _connect(self) -> None:
        client = _open_client(self.settings)
        try:
            collection = self._collection_of(client)
            collection.count()  # damaged files often open fine and fail on the first read
            questions = self._collection_of(client, QUESTIONS_SUFFIX)
            questions.count()
        except Exception as exc:  # chromadb raises many untyped errors for a broken store
            raise StoreError(f"cannot open the passage store: {_one_line(exc)}") from exc
        self._client, self.collection, self.questions = client, collection, questions

    def _collection_of(self, client: Any, suffix: str = "") -> Any:
        return client.get_or_create_collection(
            self.settings.collection + suffix,
            embedding_function=_chroma_embedding_function(self.embedder, Path(self.settings.cache_dir)),
            metadata={"hnsw:space": "cosine"},
        )

    def _open_embedded(self) -> None:
        """Open the embedded store; one that cannot be read even afresh is moved aside and started empty.

        The caller holds the writer lock. The store is derived data: the bundled article is
        ingested again by the knowledge base, and the old files are kept for inspection.
        """
        if self._path.exists() and not self._path.is_dir():  # not a store we made: leave it alone
            raise StoreError(
                f"cannot open the passage store: {self._path} is a file, not a folder (move it, or set PATHWISE_HOME)"
            )
        if not (self._path / "chroma.sqlite3").exists():
            _forget_system(self._path)  # a cached view of files that were deleted would answer from memory
        damage = _damage(self._path / "chroma.sqlite3")
        if damage is None:
            try:
                self._connect()
                return
            except StoreError:
                _forget_system(self._path)  # this process may hold a stale view of files another one changed
            try:
                self._connect()
                return
            except StoreError as exc:
                if _transient(exc):
                    raise
                damage = exc
        problem = damage
        aside = _move_aside(self._path)
        log.warning(
            "the passage store in %s could not be read (%s); moved it to %s and rebuilding it from the bundled "
            "article (ingest your own files again)",
            self._path,
            str(problem).removeprefix("cannot open the passage store: "),
            aside,
        )
        _forget_system(self._path)
        self._connect()

    def _catch_up(self, lock: IO[str] | None) -> None:
        """Before writing: read the files afresh if another process wrote since we last looked,
        and take the collection's metadata as it is now, not as it was when we opened it."""
        generation = _read_generation(lock)
        if lock is not None and generation != self._generation:
            _forget_system(self._path)
            self._generation = generation
            self._open_embedded()
            return
        try:
            self.collection = self._collection_of(self._client)
            self.questions = self._collection_of(self._client, QUESTIONS_SUFFIX)
        except Exception as exc:
            raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc

    def _wrote(self, lock: IO[str] | None) -> None:
        if lock is not None:
            self._generation = _write_generation(lock)

    # -- writing -------------------------------------------------------------------------
    def source_is_current(self, source: str, passages: list[Passage]) -> bool:
        meta = self.collection.metadata or {}
        return meta.get(f"source:{source}") == source_hash(passages) and self.count() > 0

    def ingest(self, source: str, passages: list[Passage]) -> dict[str, int]:
        """Make the stored passages of ``source`` exactly ``passages``; returns what changed.

        Unchanged content under an unchanged chunker is skipped whole; otherwise every passage is
        upserted again (their ids are content hashes, so nothing is duplicated).
        """
        with self._writer_lock() as lock:
            self._catch_up(lock)
            if self.source_is_current(source, passages):
                return {"added": 0, "updated": 0, "removed": 0, "unchanged": len(passages)}
            existing = set(self._ids_of(source))
            wanted = {p.id for p in passages}
            stale = sorted(existing - wanted)
            self._wrote(lock)  # from here the files change, even if this write fails half-way
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
                            {
                                "section": p.section,
                                "context": p.context,
                                "source": source,
                                "order": p.order,
                                "kind": p.kind,
                                "restated_by": json.dumps(p.restated_by),
                            }
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
        with self._writer_lock() as lock:
            self._catch_up(lock)
            self._wrote(lock)
            try:
                for suffix in ("", QUESTIONS_SUFFIX):
                    try:
                        self._client.delete_collection(self.settings.collection + suffix)
                    except Exception:  # absent already: nothing to reset
                        log.info("no collection %s to delete", self.settings.collection + suffix)
                self.collection = self._collection_of(self._client)
                self.questions = self._collection_of(self._client, QUESTIONS_SUFFIX)
            except OSError as exc:
                raise StoreError(_os_message(exc, self.settings.home)) from exc
            except Exception as exc:
                raise StoreError(f"could not empty the store: {_one_line(exc)}") from exc

    def questions_are_current(self, source: str, digest: str) -> bool:
        meta = self.questions.metadata or {}
        return meta.get(f"bank:{source}") == digest

    def ingest_questions(self, source: str, examples: list[Example], digest: str, vectors: Any = None) -> int:
        """Make the stored examples of ``source`` exactly ``examples``, embedded (or with ``vectors``,
        one row per example); returns how many."""
        with self._writer_lock() as lock:
            self._catch_up(lock)
            if self.questions_are_current(source, digest):
                return 0
            self._wrote(lock)
            try:
                old = self.questions.get(where={"source": source}, include=[])["ids"]
                if old:
                    self.questions.delete(ids=list(old))
                rows = {e.id: n for n, e in enumerate(examples)}
                unique = [examples[n] for n in rows.values()]
                for start in range(0, len(unique), 1000):
                    batch = unique[start : start + 1000]
                    self.questions.upsert(
                        ids=[e.id for e in batch],
                        documents=[e.q for e in batch],
                        embeddings=(
                            self.embedder.embed([e.q for e in batch]) if vectors is None else vectors[[rows[e.id] for e in batch]]
                        ),
                        metadatas=[_example_metadata(e, source) for e in batch],
                    )
                meta = dict(self.questions.metadata or {})
                meta[f"bank:{source}"] = digest
                meta.pop("hnsw:space", None)
                self.questions.modify(metadata=meta)
            except OSError as exc:
                raise StoreError(_os_message(exc, self.settings.home)) from exc
            except Exception as exc:
                raise StoreError(f"could not write the question bank to the store: {_one_line(exc)}") from exc
        return len(unique)

    def has_questions(self, source: str) -> bool:
        try:
            return bool(self.questions.get(where={"source": source}, limit=1, include=[])["ids"])
        except Exception as exc:
            raise StoreError(f"cannot read the question bank: {_one_line(exc)}") from exc

    def all_questions(self, *, besides: str | None = None) -> tuple[list[Example], Any]:
        """Every stored example (``besides`` a source's) and its vector (rows of one float32 matrix)."""
        import numpy as np

        examples: list[Example] = []
        vectors: list[Any] = []
        where = {"source": {"$ne": besides}} if besides else None
        try:
            total = self.questions.count()
            for offset in range(0, total, 5000):
                got = self.questions.get(where=where, include=["documents", "metadatas", "embeddings"], limit=5000, offset=offset)
                for doc, meta, vector in zip(got["documents"] or [], got["metadatas"] or [], got["embeddings"]):
                    examples.append(_example_of(doc or "", meta or {}))
                    vectors.append(vector)
        except Exception as exc:
            raise StoreError(f"cannot read the question bank: {_one_line(exc)}") from exc
        matrix = (
            np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1) if vectors else np.zeros((0, 0), dtype=np.float32)
        )
        return examples, matrix

    def export(self) -> tuple[str, list[StoredPassage], Any, list[Example], Any, dict[str, Any]] | None:
        """Everything a reader needs, as of one generation: (generation, passages, their vectors,
        examples, theirs, the collections' metadata); None when another process wrote since this
        one opened the store (its view may be stale)."""
        import numpy as np

        with self._writer_lock() as lock:
            if lock is None or _read_generation(lock) != self._generation:
                return None
            if not self._generation:  # no writer has stamped this store yet (copied in, say): a copy needs a stamp to check
                self._generation = _write_generation(lock)
            passages = self.all_passages()
            try:
                got = self.collection.get(ids=[p.id for p in passages], include=["embeddings"]) if passages else None
            except Exception as exc:
                raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc
            vectors = {pid: v for pid, v in zip(got["ids"], got["embeddings"])} if got else {}
            matrix = np.asarray([vectors[p.id] for p in passages], dtype=np.float32).reshape(len(passages), -1)
            examples, example_vectors = self.all_questions()
            metadata = {"passages": dict(self.collection.metadata or {}), "questions": dict(self.questions.metadata or {})}
            return self._generation, passages, matrix, examples, example_vectors, metadata

    # -- reading -------------------------------------------------------------------------
    def count(self) -> int:
        try:
            return int(self.collection.count())
        except Exception as exc:
            raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc

    def all_passages(self) -> list[StoredPassage]:
        out: list[StoredPassage] = []
        total = self.count()
        for offset in range(0, total, 5000):
            try:
                got = self.collection.get(include=["documents", "metadatas"], limit=5000, offset=offset)
            except Exception as exc:
                raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc
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
                        restated_by=_links(meta.get("restated_by")),
                    )
                )
        return out

    def dense(self, vector: Any, n: int) -> list[tuple[str, float]]:
        """Nearest passages to a query vector: (id, cosine similarity); fewer when the store holds fewer."""
        if n <= 0:
            return []
        try:
            res = self.collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        except Exception as exc:
            raise StoreError(f"the store failed a search: {_one_line(exc)}") from exc
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], (res["distances"] or [[]])[0])]

    def _ids_of(self, source: str) -> list[str]:
        try:
            got = self.collection.get(where={"source": source}, include=[])
        except Exception as exc:
            raise StoreError(f"cannot read the passage store: {_one_line(exc)}") from exc
        return list(got["ids"])

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[IO[str] | None]:
        """One writer at a time across processes (Chroma's embedded store is not process-safe).

        Yields the lock file, which holds the store's generation, or None for a Chroma server.
        """
        if self.settings.chroma_url:
            yield None
            return
        path = Path(self.settings.home) / "ingest.lock"
        try:
            fh = path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise StoreError(_os_message(exc, self.settings.home)) from exc
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield fh
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


QUESTIONS_SUFFIX = "-questions"


def _example_metadata(example: Example, source: str) -> dict[str, Any]:
    return {
        "route": example.route,
        "topic": example.topic or "",
        "path": example.path or "",
        "period": json.dumps(example.period),
        "passages": json.dumps(example.passages),
        "kind": example.kind or "",
        "followup": example.followup,
        "ask": example.ask,
        "source": source,
    }


def _example_of(text: str, meta: dict[str, Any]) -> Example:
    return Example(
        q=text,
        route=meta.get("route") or "question",
        topic=meta.get("topic") or None,
        path=meta.get("path") or None,
        period=json.loads(meta.get("period") or "null"),
        passages=json.loads(meta.get("passages") or "[]"),
        kind=meta.get("kind") or None,
        followup=bool(meta.get("followup")),
        ask=bool(meta.get("ask", True)),
        source=str(meta.get("source", "")),
    )


def _links(raw: object) -> dict[str, str]:
    """A row's stored ``restated_by``; a store written before links existed has none."""
    try:
        links = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in links.items()} if isinstance(links, dict) else {}


def _read_generation(lock: IO[str] | None) -> str:
    if lock is None:
        return ""
    lock.seek(0)
    return lock.read().strip()


def _write_generation(lock: IO[str]) -> str:
    """A new generation after a write; random, so two stores never agree by accident."""
    generation = os.urandom(8).hex()
    lock.seek(0)
    lock.truncate()
    lock.write(generation)
    lock.flush()
    return generation


def _check_home(home: Path) -> None:
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-probe-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise StoreError(_os_message(exc, home)) from exc


def _damage(db: Path) -> StoreError | None:
    """SQLite's own check of the store's file: damage anywhere in it, not only where a first read
    happens to look (the question bank's rows lie beyond the passages')."""
    if not db.exists():
        return None
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
            verdict = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        if _transient(exc):
            return None  # locked or busy: says nothing about damage; the open that follows decides
        return StoreError(f"cannot open the passage store: {exc}")
    if verdict and verdict[0] == "ok":
        return None
    return StoreError(f"cannot open the passage store: the file is damaged ({verdict[0] if verdict else 'no verdict'})")


def _forget_system(path: Path) -> None:
    """Make the next client for ``path`` read its files afresh.

    Chroma keeps one System per store path per process and hands it to every new client,
    so reopening a deleted, replaced or concurrently written store would get the old view.
    The old System is left to the clients that still hold it.
    """
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        with SharedSystemClient._refcount_lock:
            SharedSystemClient._identifier_to_system.pop(str(path), None)
            SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    except (ImportError, AttributeError):  # another chromadb layout: new clients may share the old view
        log.debug("cannot drop chromadb's cached system for %s", path)


_TRANSIENT = ("locked", "busy", "disk is full", "no space", "permission denied", "read-only", "readonly")


def _transient(exc: BaseException) -> bool:
    """A failure that says nothing about the files being damaged: moving the store aside would not help."""
    text = str(exc).lower()
    return any(word in text for word in _TRANSIENT)


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(aside)
    except FileNotFoundError:  # nothing there to keep
        return aside
    except OSError as exc:
        raise StoreError(f"the passage store in {path} is damaged and cannot be moved aside: {exc.strerror or exc}") from exc
    return aside


def import_chromadb() -> None:
    """Import chromadb now (about 0.6 s of a cold start), e.g. while another thread loads the model."""
    import chromadb  # noqa: F401
    import chromadb.config  # noqa: F401


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
    try:
        return chromadb.PersistentClient(path=str(Path(settings.home) / "chroma"), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(f"cannot open the passage store: {_one_line(exc)}") from exc


def _os_message(exc: OSError, home: Path) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"the data directory {home} is not writable (set PATHWISE_HOME to a writable folder)"
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device holding {home}"
    return f"cannot use the data directory {home}: {exc.strerror or exc}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
