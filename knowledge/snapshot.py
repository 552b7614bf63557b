"""A read-only copy of the embedded store, so a one-shot `pathwise ask` answers without chromadb.

Importing chromadb is most of a cold `ask` (about a second here). Chroma stays the store: every
write goes through it, and the copy is only ever written from it. The copy is valid while the
store's generation, which every writer bumps under ``ingest.lock`` before it changes a file, is
the one it was written at; any write, a repair or a rebuild makes it stale, and the next `ask`
opens Chroma and writes it again.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pathwise.errors import StoreError
from pathwise.knowledge.bank import Example
from pathwise.knowledge.store import Store, StoredPassage, _example_metadata, _example_of, source_hash

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.knowledge.article import Passage
    from pathwise.knowledge.types import TextEmbedder

log = logging.getLogger("pathwise.snapshot")

FORMAT = "1"
FILE = "store-snapshot.npz"
# A copy is a second store on disk and in memory: worth it for a small store's cold start. A larger
# one is read from Chroma, whose own index answers without loading every vector.
MAX_PASSAGES = 20_000


def snapshot_path(settings: Settings) -> Path:
    return Path(settings.home) / FILE


def save(store: Store) -> bool:
    """Write the copy of ``store`` (embedded only); False when it cannot be taken or kept now."""
    path = snapshot_path(store.settings)
    if store.settings.chroma_url:  # a server's store changes under every replica: no copy could be trusted
        return False
    try:
        if store.count() > MAX_PASSAGES:
            path.unlink(missing_ok=True)  # a copy from when the store was smaller would only be found stale
            return False
        exported = store.export()
    except (StoreError, OSError) as exc:  # the answer does not need the copy: the next `ask` tries again
        log.info("could not copy the store: %s", exc)
        return False
    if exported is None:
        return False
    generation, passages, passage_vectors, examples, example_vectors, metadata = exported
    header = {
        "format": FORMAT,
        "generation": generation,
        "collection": store.settings.collection,
        "metadata": metadata,
        "passages": [p.__dict__ for p in passages],
        "examples": [{"q": e.q, **_example_metadata(e, e.source)} for e in examples],
    }
    partial = path.with_name(f".{FILE}.{os.getpid()}.tmp.npz")
    try:
        with partial.open("wb") as fh:
            np.savez(
                fh,
                header=np.array(json.dumps(header)),
                passage_vectors=passage_vectors.astype(np.float32),
                example_vectors=example_vectors.astype(np.float32),
            )
        partial.replace(path)
    except OSError as exc:  # only the next `ask` is slower for it
        log.info("could not keep a copy of the store in %s: %s", path, exc)
        partial.unlink(missing_ok=True)
        return False
    return True


def load(settings: Settings) -> SnapshotStore | None:
    """The copy, when it is of the store as it is now; otherwise None (open Chroma)."""
    home = Path(settings.home)
    if settings.chroma_url or not (home / "chroma" / "chroma.sqlite3").is_file():
        return None
    try:
        generation = (home / "ingest.lock").read_text(encoding="utf-8").strip()
        with np.load(snapshot_path(settings), allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            if (header.get("format"), header.get("generation"), header.get("collection")) != (
                FORMAT,
                generation,
                settings.collection,
            ) or not generation:
                return None
            return SnapshotStore(settings, header, data["passage_vectors"], data["example_vectors"])
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as exc:  # none, or not ours
        log.debug("no usable store copy: %s", exc)
        return None


class SnapshotStore:
    """The reading half of `Store`, served from the copy. Nothing here writes: a command that
    would write opens the real store."""

    embedder: TextEmbedder  # set by the opener, once the model has loaded beside the copy

    def __init__(self, settings: Settings, header: dict[str, Any], passage_vectors: Any, example_vectors: Any) -> None:
        self.settings = settings
        self._metadata = header["metadata"]
        self._passages = [StoredPassage(**p) for p in header["passages"]]
        self._ids = [p.id for p in self._passages]
        norms = np.maximum(np.linalg.norm(passage_vectors, axis=1, keepdims=True), 1e-12)
        self._unit = (passage_vectors / norms).astype(np.float32) if len(self._passages) else passage_vectors
        self._examples = [_example_of(row.pop("q"), row) for row in header["examples"]]
        self._example_vectors = example_vectors

    def source_is_current(self, source: str, passages: list[Passage]) -> bool:
        return bool(self._metadata["passages"].get(f"source:{source}") == source_hash(passages)) and self.count() > 0

    def questions_are_current(self, source: str, digest: str) -> bool:
        return bool(self._metadata["questions"].get(f"bank:{source}") == digest)

    def has_questions(self, source: str) -> bool:
        return any(e.source == source for e in self._examples)

    def count(self) -> int:
        return len(self._passages)

    def all_passages(self) -> list[StoredPassage]:
        return list(self._passages)

    def all_questions(self, *, besides: str | None = None) -> tuple[list[Example], Any]:
        rows = [n for n, e in enumerate(self._examples) if e.source != besides]
        return [self._examples[n] for n in rows], self._example_vectors[rows]

    def dense(self, vector: Any, n: int) -> list[tuple[str, float]]:
        """Exact cosine over every passage: the store's own index answers the same on a store this size."""
        if n <= 0 or not self._ids:
            return []
        from pathwise.knowledge.retrieval import cosines

        sims = cosines(self._unit, np.asarray(vector, dtype=np.float32) / max(float(np.linalg.norm(vector)), 1e-12))
        top = np.argsort(-sims, kind="stable")[:n]
        return [(self._ids[i], float(sims[i])) for i in top]

    def reopen(self) -> None:
        """Nothing to reopen: the copy is in memory, and a read from it does not fail."""
