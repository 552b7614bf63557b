"""Load and faults together, bounded, on 127.0.0.1.

50 sessions x 10 turns at once (threads) through one Advisor in LLM mode: the real ChatOpenAI
client (1 s timeout, 1 retry) against a fake OpenAI server that fails about 10% of calls
(500s, hangs past the timeout, streams cut mid-answer, malformed JSON), chosen by a seeded hash
of each request so every run fails the same calls. The server answers with every code word it
was sent, so a session that sees another's words shows it. Then a smaller soak through the
served web app with gradio_client.

Every turn must be answered (by the model or, visibly, offline), no error shown, no word of one
session in another's answer or in what the model was sent for it, and memory must level off.
The figures are printed and saved as ``soak.json`` in the test's tmp dir for the README.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from fake_openai import CutStream, FakeOpenAI, Hang, Malformed, Recorded, Reply, Status

from pathwise.agent.advisor import Advisor
from pathwise.bench.servers import free_port
from pathwise.config import Settings

SEED = "pathwise-soak-1"
FAULT_RATE = 0.10
SESSIONS, TURNS = 50, 10
WEB_SESSIONS, WEB_TURNS = 10, 5
CODE = re.compile(r"\bcanary[a-z]{8}\b")
RSS_GROWTH_LIMIT_MB = 60  # after warm-up, across the whole soak


def codes(n: int, salt: str) -> list[str]:
    out = []
    for i in range(n):
        digest = hashlib.sha256(f"{SEED}:{salt}:{i}".encode()).digest()
        out.append("canary" + "".join(chr(ord("a") + b % 26) for b in digest[:8]))
    return out


class FlakyOpenAI(FakeOpenAI):
    """Answers each request from what it was sent, and fails about one call in ten.

    The fault for a request is a hash of (seed, its last user message, which attempt this is),
    so the same turns fail the same way in every run whatever the thread timing. It keeps
    counts, not the requests, so it does not grow with the soak.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.faults: Counter[str] = Counter()
        self.leaks = 0  # requests that carried more than one session's code words
        self._attempts: Counter[str] = Counter()

    def _next(self, recorded: Recorded) -> Any:
        messages = recorded.messages
        users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        last = users[-1] if users else ""
        seen = {c for m in messages for c in CODE.findall(str(m.get("content") or ""))}
        with self._lock:
            self.calls += 1
            attempt = self._attempts[last]
            self._attempts[last] += 1
            if len(seen) > 1:
                self.leaks += 1
        digest = hashlib.sha256(f"{SEED}:{last}:{attempt}".encode()).digest()
        roll = int.from_bytes(digest[:4], "big") / 2**32
        if roll < FAULT_RATE:
            kind = ("500", "timeout", "cut-stream", "malformed")[digest[4] % 4]
            with self._lock:
                self.faults[kind] += 1
            if kind == "500":
                return Status(500)
            if kind == "timeout":
                release = threading.Event()
                with self._lock:
                    self._hangs.append(release)
                return Hang(release)
            if kind == "cut-stream":
                return CutStream("I remember these code words and more besides", after=3)
            return Malformed()
        return Reply("I remember these code words: " + ", ".join(sorted(seen)) + ".")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def rss_mb() -> float:
    gc.collect()
    return round(psutil.Process().memory_info().rss / 2**20, 1)


@pytest.fixture(scope="module")
def server() -> Any:
    with FlakyOpenAI() as s:
        yield s


@pytest.fixture(scope="module")
def soak_settings(
    kb, settings_shared: Settings, model_cache: Path, tmp_path_factory: pytest.TempPathFactory, server: FlakyOpenAI
) -> Settings:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("soak") / "home"
    home.mkdir()
    shutil.copytree(Path(settings_shared.home) / "chroma", home / "chroma")
    return Settings(
        home=home,
        cache_dir=model_cache,
        openai_api_key="sk-soak",
        openai_base_url=server.base_url,
        llm_timeout=1.0,
        llm_max_retries=1,
        max_sessions=200,
        rate_limit_per_minute=100_000,
        rate_limit_burst=10_000,  # every simulated browser shares 127.0.0.1
    )


@pytest.fixture(scope="module")
def figures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("soak-figures")


def drive(
    words: list[str], turns: int, session: Callable[[str], Callable[[str], Any]]
) -> tuple[dict[str, list[tuple[Any, float]]], list[str], float]:
    """One session per code word, all at once, each asking ``turns`` questions that carry its word.

    ``session(code)`` opens a session and returns how to ask it a question. Returns each word's
    (answer, ms) pairs, the errors a person would have seen, and the wall time in seconds.
    """
    errors: list[str] = []

    def run(code: str) -> list[tuple[Any, float]]:
        ask = session(code)
        out = []
        for t in range(turns):
            started = time.perf_counter()
            try:
                answer = ask(f"My code word is {code}. Turn {t}: what should I focus on?")
            except Exception as exc:  # an error a person would see
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            out.append((answer, (time.perf_counter() - started) * 1000))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(words)) as pool:
        results = dict(zip(words, pool.map(run, words)))
    return results, errors, time.perf_counter() - started


def save(figures_dir: Path, name: str, figures: dict[str, Any]) -> None:
    path = figures_dir / "soak.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2))
    print(f"\n{name}: {json.dumps(figures)}\nsaved to {path}")


@pytest.mark.slow
def test_50_sessions_x_10_turns_with_10_percent_faults(soak_settings: Settings, server: FlakyOpenAI, figures_dir: Path) -> None:
    advisor = Advisor.create(soak_settings)
    assert advisor.mode == "llm"
    for i in range(3):  # warm-up: imports, connection pool, SQLite pages
        advisor.reply(f"warm-{i}", "What should I focus on first?")
    calls_before = server.calls
    faults_before = sum(server.faults.values())
    rss_before = rss_mb()

    words = codes(SESSIONS, "advisor")
    results, errors, wall = drive(words, TURNS, lambda code: lambda message: advisor.reply(f"soak-{code}", message))
    rss_after = rss_mb()

    turns = [(code, turn, ms) for code, rows in results.items() for turn, ms in rows]
    leaks = [t.answer for code, t, _ in turns if set(CODE.findall(t.answer)) - {code}]
    fallbacks = [t for _, t, _ in turns if t.mode == "offline"]
    figures = {
        "sessions": SESSIONS,
        "turns_per_session": TURNS,
        "turns": SESSIONS * TURNS,
        "answered": sum(1 for _, t, _ in turns if t.answer.strip()),
        "llm": sum(1 for _, t, _ in turns if t.mode == "llm"),
        "offline_fallbacks": len(fallbacks),
        "model_calls": server.calls - calls_before,
        "faults_injected": sum(server.faults.values()) - faults_before,
        "faults_by_kind": dict(server.faults),
        "errors_shown": len(errors),
        "cross_session_leaks": len(leaks) + server.leaks,
        "p50_ms": percentile([ms for *_, ms in turns], 0.50),
        "p95_ms": percentile([ms for *_, ms in turns], 0.95),
        "wall_s": round(wall, 1),
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "rss_growth_mb": round(rss_after - rss_before, 1),
    }
    save(figures_dir, "advisor_llm_with_faults", figures)

    assert errors == [], errors[:3]
    assert figures["answered"] == SESSIONS * TURNS
    assert leaks == [] and server.leaks == 0
    assert figures["faults_injected"] >= 0.05 * figures["model_calls"], "the soak really ran with faults"
    assert fallbacks, "some faults outlast the retry and fall back"
    assert all(t.notice and "Offline mode for this answer" in t.notice for t in fallbacks), "a fallback says so"
    for code, rows in results.items():
        for turn, _ in rows:
            if turn.mode == "llm":
                assert turn.answer == f"I remember these code words: {code}."
        assert len(advisor.history(f"soak-{code}")) == TURNS, "every turn is in the session's history"
    assert figures["rss_growth_mb"] < RSS_GROWTH_LIMIT_MB, figures


@pytest.mark.slow
def test_the_served_app_under_load_with_faults(soak_settings: Settings, server: FlakyOpenAI, figures_dir: Path) -> None:
    """10 browser sessions x 5 turns at once through the served app's /chat endpoint."""
    from gradio_client import Client

    from pathwise.ui.app import serve

    advisor = Advisor.create(soak_settings)
    app = serve(host="127.0.0.1", port=free_port(), advisor=advisor, block=False)
    try:
        url = app.local_url
        words = codes(WEB_SESSIONS, "web")
        calls_before = server.calls

        def browser(code: str) -> Callable[[str], dict[str, Any]]:
            client = Client(url, verbose=False, download_files=False)  # a browser session of its own
            return lambda message: client.predict(message, api_name="/chat")

        results, errors, wall = drive(words, WEB_TURNS, browser)
    finally:
        app.close()

    turns = [(code, turn, ms) for code, rows in results.items() for turn, ms in rows]
    leaks = [t["answer"] for code, t, _ in turns if set(CODE.findall(t["answer"])) - {code}]
    fallbacks = [t for _, t, _ in turns if t["mode"] == "offline"]
    figures = {
        "sessions": WEB_SESSIONS,
        "turns_per_session": WEB_TURNS,
        "turns": WEB_SESSIONS * WEB_TURNS,
        "answered": sum(1 for _, t, _ in turns if t["answer"].strip()),
        "offline_fallbacks": len(fallbacks),
        "model_calls": server.calls - calls_before,
        "errors_shown": len(errors),
        "cross_session_leaks": len(leaks) + server.leaks,
        "p50_ms": percentile([ms for *_, ms in turns], 0.50),
        "p95_ms": percentile([ms for *_, ms in turns], 0.95),
        "wall_s": round(wall, 1),
    }
    save(figures_dir, "served_app_llm_with_faults", figures)

    assert errors == [], errors[:3]
    assert figures["answered"] == WEB_SESSIONS * WEB_TURNS
    assert leaks == [] and server.leaks == 0
    assert all(t["notice"] and "Offline mode for this answer" in t["notice"] for t in fallbacks)
    for code, rows in results.items():
        assert all(t["answer"] == f"I remember these code words: {code}." for t, _ in rows if t["mode"] == "llm")
