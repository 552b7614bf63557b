"""`pathwise eval --llm-context`: what the LLM path hands the model, turn by turn, against a fake model on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pathwise.cli import main
from pathwise.config import Settings

# Written for these tests from the article; not from a gold set.
CONVERSATION = {"id": "ctx-1", "persona": "a tester", "turns": [
    {"message": "I run a small shop and keep hearing about automation. When do automation people burn out?", "kind": "fact",
     "expect": [["18-24"], ["maintenance overload"]]},
    {"message": "Who is the best chef in Lyon?", "kind": "offtopic"},
    {"message": "why though?", "kind": "fact", "expect": [["platform updates", "Zapier changes", "API pricing"]]},
    {"message": "And how much do engineers earn in their second year?", "kind": "fact", "expect": [["₹3-6L"]]},
]}  # fmt: skip


@pytest.fixture
def shared(kb, settings_shared: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATHWISE_HOME", str(settings_shared.home))
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(settings_shared.cache_dir))
    return settings_shared


def test_context_recall_of_a_conversation(shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "convs.jsonl"
    gold.write_text(json.dumps(CONVERSATION, ensure_ascii=False) + "\n", encoding="utf-8")

    assert main(["eval", "--set", str(gold), "--llm-context", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    summary = result["summary"]
    assert (summary["conversations"], summary["fact_turns"], summary["llm_turns"]) == (1, 3, 3)
    assert summary["context_recall"] == 1.0, result["misses"]
    assert summary["context_recall_first"] == 1.0 and summary["context_recall_followup"] == 1.0

    assert main(["eval", "--set", str(gold), "--llm-context"]) == 0
    assert "context recall followup  1.000" in capsys.readouterr().out


def test_context_recall_needs_a_conversation_file(shared: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "q", "kind": "fact", "turns": ["When do engineers burn out?"]}) + "\n", encoding="utf-8")

    assert main(["eval", "--set", str(cases), "--llm-context"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--llm-context scores conversation files" in err[0]
