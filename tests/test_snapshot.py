"""`pathwise ask` answers from a copy of the store when the copy is current, without chromadb,
and from Chroma whenever the store changed, went missing, or the copy is damaged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pathwise.agent.advisor import Advisor
from pathwise.cli import main
from pathwise.config import Settings
from pathwise.knowledge import snapshot
from pathwise.knowledge.base import KnowledgeBase
from pathwise.knowledge.corpus import bundled_article
from pathwise.knowledge.snapshot import SnapshotStore
from pathwise.knowledge.store import Store

ARTICLE_PASSAGES = len(bundled_article().passages)
PROCESS_TIMEOUT = 180  # seconds a child process may take before the test fails (never a synchronisation)
BURNOUT = "When do AI engineers burn out?"

# Asks in the voice of the product's users, none taken from a gold set.
ASKS = [
    "how much does an automation specialist make in the first 6 months?",
    "and after two years?",
    "what are the red flags for the engineering route?",
    "who keeps people out of AI engineering jobs?",
    "I teach physics and love tinkering with workflows. which path suits me?",
]


@pytest.fixture
def home(kb, settings_shared: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A private data dir holding a copy of the built store, for the CLI."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(Path(settings_shared.home) / "chroma", home / "chroma")
    monkeypatch.setenv("PATHWISE_HOME", str(home))
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(settings_shared.cache_dir))
    return home


def ask(capsys: pytest.CaptureFixture[str], message: str) -> dict[str, object]:
    assert main(["ask", "--offline", "--json", message]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return json.loads(out)


def settings_of(home: Path) -> Settings:
    return Settings(home=home, cache_dir=Settings().cache_dir)


def cited(turn: dict[str, object]) -> list[str]:
    return [c["id"] for c in turn["citations"]]  # type: ignore[index, union-attr]


def test_a_second_ask_answers_from_the_copy_without_importing_chromadb(home: Path) -> None:
    script = (
        "import json, sys\nfrom pathwise.cli import main\n"
        f"code = main(['ask', '--offline', '--json', {BURNOUT!r}])\n"
        "print(json.dumps({'code': code, 'chromadb': 'chromadb' in sys.modules}))\n"
    )

    def run() -> tuple[dict[str, object], dict[str, object]]:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=PROCESS_TIMEOUT, env=os.environ.copy()
        )
        assert done.returncode == 0, done.stderr
        turn, state = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
        return turn, state

    first, opened = run()
    assert opened == {"code": 0, "chromadb": True}  # no copy yet: Chroma, which leaves one
    assert (home / snapshot.FILE).is_file()
    second, read = run()
    assert read == {"code": 0, "chromadb": False}
    assert "8-14" in str(second["answer"]) and second["answer"] == first["answer"] and cited(second) == cited(first)


def test_the_copy_answers_as_chroma_does_turn_by_turn(home: Path) -> None:
    settings = settings_of(home)
    live = Advisor.create(settings, offline=True, durable=False)
    snapshot.save(live.kb.store)
    copy = Advisor.create(settings, offline=True, durable=False, snapshot=True)
    assert isinstance(live.kb.store, Store) and isinstance(copy.kb.store, SnapshotStore)
    for message in ASKS:
        a, b = live.reply("live", message), copy.reply("copy", message)
        assert (b.answer, [c.id for c in b.citations], b.fit) == (a.answer, [c.id for c in a.citations], a.fit), message


def test_a_write_from_another_process_makes_the_copy_stale(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ask(capsys, BURNOUT)  # leaves a copy
    notes = tmp_path / "mentor-notes.md"
    notes.write_text(
        "# Mentor notes\n\nThe Kestrel cohort pairs each automation apprentice with a plumber-turned-founder "
        "for twelve weeks of paid client work.\n"
    )
    KnowledgeBase.open(settings_of(home)).ingest([notes])  # a writer that leaves no copy behind
    assert snapshot.load(settings_of(home)) is None

    turn = ask(capsys, "what is the Kestrel cohort?")
    assert "Kestrel" in str(turn["answer"])
    assert any("Kestrel" in c["text"] for c in turn["citations"])  # type: ignore[index, union-attr]
    fresh = snapshot.load(settings_of(home))
    assert fresh is not None and fresh.count() == ARTICLE_PASSAGES + 1  # the ask left a copy of the store as it now is


def test_ingest_leaves_a_current_copy(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nOur reading group meets on Thursdays to review automation case studies.\n")
    assert main(["ingest", str(notes)]) == 0
    capsys.readouterr()
    copy = snapshot.load(settings_of(home))
    assert copy is not None and copy.count() == ARTICLE_PASSAGES + 1


def test_a_store_too_large_for_a_copy_is_read_from_chroma(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ask(capsys, BURNOUT)
    assert (home / snapshot.FILE).is_file()
    monkeypatch.setattr(snapshot, "MAX_PASSAGES", ARTICLE_PASSAGES)  # as if the article filled the limit
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nOur reading group meets on Thursdays to review automation case studies.\n")
    assert main(["ingest", str(notes)]) == 0
    capsys.readouterr()
    assert not (home / snapshot.FILE).exists()  # no copy of the store as it was before
    assert "8-14" in str(ask(capsys, BURNOUT)["answer"])
    assert not (home / snapshot.FILE).exists()


def test_a_copy_that_cannot_be_taken_costs_the_answer_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathwise.errors import StoreError

    def fails(self: Store) -> None:
        raise StoreError("cannot read the passage store: disk I/O error")

    monkeypatch.setattr(Store, "export", fails)
    assert "8-14" in str(ask(capsys, BURNOUT)["answer"])
    assert not (home / snapshot.FILE).exists()


def test_a_deleted_store_is_rebuilt_not_answered_from_its_copy(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ask(capsys, BURNOUT)
    shutil.rmtree(home / "chroma")
    assert snapshot.load(settings_of(home)) is None
    assert "8-14" in str(ask(capsys, BURNOUT)["answer"])
    assert KnowledgeBase.open(settings_of(home)).store.count() == ARTICLE_PASSAGES


@pytest.mark.parametrize("damage", ["garbage", "empty", "other-collection", "header-not-an-object"])
def test_a_damaged_or_foreign_copy_is_ignored_and_replaced(home: Path, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    ask(capsys, BURNOUT)
    path = home / snapshot.FILE
    if damage == "garbage":
        path.write_bytes(b"\x00not a copy\xff" * 100)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with np.load(path) as data:
            header = json.loads(str(data["header"]))
            arrays = {k: data[k] for k in ("passage_vectors", "example_vectors")}
        header["collection"] = "someone-else"
        np.savez(path, header=np.array(json.dumps(header if damage == "other-collection" else [header])), **arrays)
    assert snapshot.load(settings_of(home)) is None

    assert "8-14" in str(ask(capsys, BURNOUT)["answer"])
    assert snapshot.load(settings_of(home)) is not None  # written again


def test_a_copy_of_an_older_article_is_not_used(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ask(capsys, BURNOUT)
    path = home / snapshot.FILE
    with np.load(path) as data:
        header = json.loads(str(data["header"]))
        arrays = {k: data[k] for k in ("passage_vectors", "example_vectors")}
    header["metadata"]["passages"] = {k: "0" * 16 for k in header["metadata"]["passages"]}  # as an older release stored it
    np.savez(path, header=np.array(json.dumps(header)), **arrays)

    kb = KnowledgeBase.open(settings_of(home), snapshot=True)
    assert isinstance(kb.store, Store)
