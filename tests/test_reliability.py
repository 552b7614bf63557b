"""Conversations survive restarts and kills, sessions never see each other, and the passage store
survives faults: each fault ends in the right answer (rebuilt from the bundled article) or in
one clear error, never in a wrong answer given silently.

Processes are real where the fault is about processes (restart, SIGKILL, two writers); the
fake OpenAI server on 127.0.0.1 stands in for the model.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, Hang, Reply, Status

from pathwise.agent.advisor import Advisor
from pathwise.agent.sessions import Exchange, SessionState, SessionStore
from pathwise.cli import main
from pathwise.config import Settings
from pathwise.errors import StoreError
from pathwise.knowledge.base import KnowledgeBase, read_source
from pathwise.knowledge.corpus import ARTICLE_NAME, bundled_article

ARTICLE_PASSAGES = len(bundled_article().passages)
PROCESS_TIMEOUT = 120  # seconds a child process may take before the test fails (never a synchronisation)


# -- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store_template(kb, settings_shared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    """A built store to copy: ingesting the article takes seconds, copying it milliseconds."""
    template = tmp_path_factory.mktemp("store-template") / "chroma"
    shutil.copytree(Path(settings_shared.home) / "chroma", template)
    return template


@pytest.fixture
def home(tmp_path: Path, store_template: Path) -> Path:
    """A private data dir holding a copy of the built store."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(store_template, home / "chroma")
    return home


def settings_for(home: Path, model_cache: Path, **overrides: Any) -> Settings:
    return Settings(home=home, cache_dir=model_cache, **overrides)


def child_env(home: Path, model_cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWISE_", "OPENAI_"))}
    return {**env, "PATHWISE_HOME": str(home), "PATHWISE_CACHE_DIR": str(model_cache), **extra}


def llm_env(server: FakeOpenAI) -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-reliability",
        "OPENAI_BASE_URL": server.base_url,
        "PATHWISE_LLM_MAX_RETRIES": "0",
        "PATHWISE_LLM_TIMEOUT": "10",
    }


def chat(env: dict[str, str], *lines: tuple[str, str]) -> list[dict[str, Any]]:
    """One `pathwise chat --jsonl` process: (session, message) lines in, one answer line out for each."""
    argv = [sys.executable, "-m", "pathwise", "chat", "--jsonl"]
    stdin = "".join(json.dumps({"session": s, "message": m}) + "\n" for s, m in lines)
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(lines), done.stdout
    return rows


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def user_turns(history: list[tuple[str, str]]) -> list[str]:
    return [user for user, _ in history]


class SignallingFake(FakeOpenAI):
    """The fake server, plus an Event set when a request reaches a scripted ``Hang``."""

    def __init__(self) -> None:
        super().__init__()
        self.hanging = threading.Event()

    def _next(self, recorded: Any) -> Any:
        script = super()._next(recorded)
        if isinstance(script, Hang):
            self.hanging.set()
        return script


# -- durable sessions ---------------------------------------------------------------------------------------

INCOME = "how much do automation specialists earn?"
FIRST = "What should I do first?"
ANSWER_1 = "Pick one path and commit to it before you mix in the other."
ANSWER_2 = "You asked about committing; the article says to stay with one path."
WORDS = ("one", "two", "three", "four")
QUESTIONS = [f"Question {w}: what should I focus on?" for w in WORDS]
ANSWERS = [f"Answer {w}: pick one path." for w in WORDS[:3]]


def pairs(*exchanges: tuple[str, str]) -> list[tuple[str, str]]:
    return [p for user, answer in exchanges for p in (("user", user), ("assistant", answer))]


def sent_to_model(request: Any) -> list[tuple[str, str]]:
    """The questions and answers the client sent the model: no system prompt, no searches."""
    return [(m["role"], m["content"]) for m in request.messages if m["role"] in ("user", "assistant") and not m.get("tool_calls")]


def searched_for(request: Any) -> str:
    """The query of the search the agent made before this model call."""
    [call] = request.messages[-2]["tool_calls"]
    return json.loads(call["function"]["arguments"])["query"]


@pytest.mark.slow
def test_a_restart_after_sigkill_mid_turn_keeps_every_answered_turn(home: Path, model_cache: Path) -> None:
    """Two `chat --jsonl` processes on one data dir; the first is killed -9 while the model writes an answer.

    Before the kill it answers session "llm" with the model, session "off" offline (the model
    fails), and three turns of session "k". The second process continues all three: the model is
    sent exactly the turns answered before (the offline one included); the offline follow-up
    resolves from the session store; the killed turn is gone, and both SQLite files are sound.
    """
    with SignallingFake() as server:
        env = child_env(home, model_cache, **llm_env(server))
        release = threading.Event()
        server.enqueue(Reply(ANSWER_1), Status(500), *[Reply(a) for a in ANSWERS], Hang(release))
        lines = [("llm", FIRST), ("off", INCOME), *[("k", q) for q in QUESTIONS]]
        proc = subprocess.Popen(
            [sys.executable, "-m", "pathwise", "chat", "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("".join(json.dumps({"session": s, "message": m}) + "\n" for s, m in lines))
            proc.stdin.flush()
            assert server.hanging.wait(PROCESS_TIMEOUT), "the last turn never reached the model"
            proc.send_signal(signal.SIGKILL)
            proc.wait(PROCESS_TIMEOUT)
            answered = [json.loads(line) for line in proc.stdout.read().splitlines()]
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        assert [(a["mode"], a["answer"]) for a in answered[:1] + answered[2:]] == [("llm", a) for a in [ANSWER_1, *ANSWERS]]
        offline_answer = answered[1]["answer"]
        assert answered[1]["mode"] == "offline" and "₹10-30k" in offline_answer

        # At most the killed turn is lost, and the files are sound.
        for name in ("sessions.sqlite3", "llm-memory.sqlite3"):
            assert integrity(home / name) == "ok", name
        saved = SessionStore(home / "sessions.sqlite3").get("k").exchanges
        assert [(e.user, e.answer) for e in saved] == list(zip(QUESTIONS, ANSWERS))

        server.enqueue(Reply(ANSWER_2), Status(500), Reply("Keep going with the one path you picked."))
        later = chat(env, ("llm", "Why?"), ("off", "And AI engineers?"), ("k", "And now?"))
        why, engineers, now = later

        assert (why["mode"], why["answer"]) == ("llm", ANSWER_2)
        assert sent_to_model(server.requests[-3]) == [*pairs((FIRST, ANSWER_1)), ("user", "Why?")]

        assert engineers["mode"] == "offline"
        assert "₹3-6L" in engineers["answer"] and "₹10-30k" not in engineers["answer"]
        assert sent_to_model(server.requests[-2]) == [*pairs((INCOME, offline_answer)), ("user", "And AI engineers?")]
        assert searched_for(server.requests[-2]) == "how much do AI Engineers earn?"  # the follow-up, standalone

        assert (now["mode"], now["answer"]) == ("llm", "Keep going with the one path you picked.")
        history = Advisor.create(settings_for(home, model_cache), offline=True).history("k")
        assert history == [*zip(QUESTIONS, ANSWERS), ("And now?", now["answer"])]
        assert sent_to_model(server.requests[-1]) == [*pairs(*zip(QUESTIONS, ANSWERS)), ("user", "And now?")]


# -- sessions are isolated, under concurrency ----------------------------------------------------------------

CODE = re.compile(r"\bcanary[a-z]{8}\b")


def canaries(n: int) -> list[str]:
    import random

    rng = random.Random(8)
    return ["canary" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(n)]


def echo_model() -> Any:
    """A chat model that answers with every code word it was sent, and records what it was sent."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatResult
    from pydantic import PrivateAttr

    class EchoModel(BaseChatModel):
        _calls: list[list[str]] = PrivateAttr(default_factory=list)
        _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

        @property
        def _llm_type(self) -> str:
            return "echo"

        @property
        def calls(self) -> list[list[str]]:
            with self._lock:
                return list(self._calls)

        def bind_tools(self, tools: Any, **kwargs: Any) -> EchoModel:
            return self

        def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any) -> ChatResult:
            texts = [m.text for m in messages]
            with self._lock:
                self._calls.append(texts)
            seen = sorted({c for t in texts for c in CODE.findall(t)})
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="You told me: " + ", ".join(seen) + "."))])

    return EchoModel()


def test_llm_sessions_never_see_each_other_under_concurrency(home: Path, model_cache: Path) -> None:
    model = echo_model()
    advisor = Advisor.create(settings_for(home, model_cache), chat_model=model)
    codes = canaries(12)

    def converse(code: str) -> list[Any]:
        return [advisor.reply(f"user-{code}", f"My code word is {code}. Turn {t}: what do you remember?") for t in range(5)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        turns = dict(zip(codes, pool.map(converse, codes)))

    for code, answers in turns.items():
        assert [t.mode for t in answers] == ["llm"] * 5, [t.notice for t in answers]
        assert all(t.answer == f"You told me: {code}." for t in answers), [t.answer for t in answers]
        assert all(code in user for user, _ in advisor.history(f"user-{code}"))
        assert len(advisor.history(f"user-{code}")) == 5
    assert len(model.calls) == 12 * 5
    for call in model.calls:
        (own,) = set(CODE.findall(call[-1]))
        assert {c for text in call for c in CODE.findall(text)} == {own}, "the model was sent another session's words"


def test_offline_sessions_never_see_each_other_under_concurrency(home: Path, model_cache: Path) -> None:
    advisor = Advisor.create(settings_for(home, model_cache), offline=True)
    codes = canaries(16)

    def converse(i: int) -> tuple[str, list[Any]]:
        code = codes[i]
        first, follow = (
            ("how much do automation specialists earn?", "and AI engineers?")
            if i % 2
            else ("when do ML engineers burn out?", "and for the other path?")
        )
        return code, [advisor.reply(code, f"{first} (ref {code})"), advisor.reply(code, f"{follow} (ref {code})")]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(converse, range(len(codes))))

    for i, (code, (first, follow)) in enumerate(results):
        if i % 2:
            assert "₹10-30k" in first.answer and "₹3-6L" in follow.answer and "₹10-30k" not in follow.answer
        else:
            assert "8-14" in first.answer and "18-24" in follow.answer and "8-14" not in follow.answer
        history = advisor.history(code)
        assert len(history) == 2 and all(f"(ref {code})" in user for user, _ in history)
        shown = " ".join(f"{u} {a}" for u, a in history)
        assert set(CODE.findall(shown)) == {code}


def test_two_turns_of_one_session_at_once_are_both_kept(home: Path, model_cache: Path) -> None:
    """Two tabs of one conversation sending together: every exchange is saved, none overwritten."""
    advisor = Advisor.create(settings_for(home, model_cache, history_turns=50), offline=True)
    start = threading.Barrier(2)

    def send(tab: str) -> None:
        start.wait()
        for i in range(10):
            advisor.reply("shared", f"when do AI engineers burn out? ({tab} {i})")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(send, ["left", "right"]))

    sent = {f"when do AI engineers burn out? ({tab} {i})" for tab in ("left", "right") for i in range(10)}
    assert set(user_turns(advisor.history("shared"))) == sent
    reopened = SessionStore(home / "sessions.sqlite3", max_turns=50).get("shared")
    assert {e.user for e in reopened.exchanges} == sent


# Two stores on one file stand for two app processes: each has its own SQLite connection and cache.


def _say(store: SessionStore, session: str, text: str) -> None:
    """One turn as the advisor takes it: read the session, then append the exchange with its new understanding."""
    state = store.get(session)
    store.append(session, Exchange(user=text, answer=f"answer to {text}", topic=text), state.model_copy(update={"topic": text}))


def test_one_conversation_handed_between_two_processes_stays_whole(tmp_path: Path) -> None:
    a, b = SessionStore(tmp_path / "sessions.sqlite3"), SessionStore(tmp_path / "sessions.sqlite3")
    _say(a, "s", "first")
    _say(b, "s", "second")
    _say(a, "s", "third")  # A held the conversation as it was after "first"

    for store in (a, b):
        state = store.get("s")
        assert [e.user for e in state.exchanges] == ["first", "second", "third"]
        assert state.topic == "third"
    b.reset("s")
    assert a.get("s").exchanges == []


def test_two_processes_answering_one_session_at_once_keep_every_turn(tmp_path: Path) -> None:
    stores = [SessionStore(tmp_path / "sessions.sqlite3", max_turns=100) for _ in range(2)]
    start = threading.Barrier(2)

    def send(n: int) -> None:
        start.wait()
        for i in range(25):
            _say(stores[n], "shared", f"{n}-{i}")

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(send, [0, 1]))

    expected = {f"{n}-{i}" for n in range(2) for i in range(25)}
    for store in (*stores, SessionStore(tmp_path / "sessions.sqlite3", max_turns=100)):
        assert {e.user for e in store.get("shared").exchanges} == expected


def test_a_session_file_from_before_row_versions_opens_and_keeps_its_conversations(tmp_path: Path) -> None:
    old = SessionState(exchanges=[Exchange(user="earlier", answer="kept")], topic="income")
    with sqlite3.connect(tmp_path / "sessions.sqlite3") as db:
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)")
        db.execute("INSERT INTO sessions VALUES ('s', ?, julianday('now'))", (old.model_dump_json(),))

    store = SessionStore(tmp_path / "sessions.sqlite3")
    assert store.get("s") == old
    _say(store, "s", "later")
    assert [e.user for e in SessionStore(tmp_path / "sessions.sqlite3").get("s").exchanges] == ["earlier", "later"]


# -- store faults -------------------------------------------------------------------------------------------------


def test_the_data_dir_deleted_while_running(home: Path, model_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The whole data dir removed under a running advisor: answers stay right, the conversation is
    written again, and the next start finds a rebuilt store."""
    settings = settings_for(home, model_cache)
    advisor = Advisor.create(settings, offline=True)
    assert "₹10-30k" in advisor.reply("s", INCOME).answer

    shutil.rmtree(home)
    follow = advisor.reply("s", "and AI engineers?")
    assert "₹3-6L" in follow.answer and "₹10-30k" not in follow.answer
    assert "deleted or replaced" in caplog.text  # the session file was written again, and it says so
    saved = SessionStore(home / "sessions.sqlite3").get("s").exchanges
    assert [e.user for e in saved] == [INCOME, "and AI engineers?"]

    restarted = Advisor.create(settings, offline=True)
    assert restarted.kb.store.count() == ARTICLE_PASSAGES
    assert "₹20-50L" in restarted.reply("s", "what about after 4 years?").answer


def test_a_collection_deleted_behind_our_back_is_rebuilt(home: Path, model_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    advisor = Advisor.create(settings_for(home, model_cache), offline=True)
    assert "₹10-30k" in advisor.reply("s", INCOME).answer
    other = chromadb.PersistentClient(
        path=str(home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )
    other.delete_collection("pathwise")

    follow = advisor.reply("s", "and AI engineers?")
    assert "₹3-6L" in follow.answer and "₹10-30k" not in follow.answer
    assert follow.citations and all(c.text for c in follow.citations)
    assert "rebuilt it from the copy shipped with pathwise" in caplog.text
    assert advisor.kb.store.count() == ARTICLE_PASSAGES


def _garbage_everywhere(chroma: Path) -> None:
    for f in chroma.rglob("*"):
        if f.is_file():
            f.write_bytes(b"\x00garbage\xff" * max(1, f.stat().st_size // 10))


def _garbage_mid_file(chroma: Path) -> None:
    db = chroma / "chroma.sqlite3"
    with db.open("r+b") as fh:
        fh.seek(db.stat().st_size // 2)
        fh.write(b"\xde\xad\xbe\xef" * 2048)


CORRUPTIONS = [
    pytest.param(_garbage_everywhere, id="every-file-garbage"),  # fails as it opens
    pytest.param(_garbage_mid_file, id="sqlite-garbage-mid-file"),  # opens, then fails on the first read
]


@pytest.mark.parametrize("corrupt", CORRUPTIONS)
def test_a_corrupt_store_is_moved_aside_and_rebuilt(
    home: Path, model_cache: Path, caplog: pytest.LogCaptureFixture, corrupt
) -> None:  # type: ignore[no-untyped-def]
    corrupt(home / "chroma")
    advisor = Advisor.create(settings_for(home, model_cache), offline=True)

    turn = advisor.reply("s", "when do AI engineers burn out?")
    assert "8-14" in turn.answer and turn.citations
    assert advisor.kb.store.count() == ARTICLE_PASSAGES
    (aside,) = home.glob("chroma.corrupt-*")
    assert (aside / "chroma.sqlite3").exists(), "the damaged files are kept for inspection"
    warning = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "moved it to" in r.getMessage())
    assert str(aside) in warning and "rebuilding it from the bundled article" in warning


def test_a_file_where_the_store_should_be_is_left_alone(home: Path, model_cache: Path) -> None:
    shutil.rmtree(home / "chroma")
    (home / "chroma").write_text("my notes")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        KnowledgeBase.open(settings_for(home, model_cache))
    assert (home / "chroma").read_text() == "my notes"


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathwise: error: ") and "Traceback" not in err, err
    return lines[0]


READ_ONLY_HOMES = [
    pytest.param("/sys/kernel", id="existing-dir-root-cannot-write"),  # sysfs refuses new files, even to root
    pytest.param("/sys/pathwise-reliability-home", id="cannot-create"),
    pytest.param("{tmp}/a-file/home", id="parent-is-a-file"),
]


@pytest.mark.parametrize("path", READ_ONLY_HOMES)
def test_a_read_only_data_dir_is_one_clear_error(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    home = Path(path.format(tmp=tmp_path))
    monkeypatch.setenv("PATHWISE_HOME", str(home))
    assert main(["ask", "--offline", "how much do automation specialists earn?"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    line = one_error_line(err)
    assert str(home) in line and ("not writable" in line or "cannot use the data directory" in line)

    with pytest.raises(StoreError, match="session database"):
        SessionStore(home / "sessions.sqlite3")


def test_disk_full_on_ingest_is_one_clear_error_and_changes_nothing(
    home: Path, model_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chromadb.api.models.Collection import Collection

    notes = tmp_path / "notes.txt"
    notes.write_text("# Notes\n\nFreelance automation work in Pune pays per project.\n\nClients there ask for demos first.\n")
    _, passages = read_source(notes)
    monkeypatch.setenv("PATHWISE_HOME", str(home))
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(model_cache))

    def full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(Collection, "upsert", full)
        assert main(["ingest", str(notes)]) == 1
    _, err = capsys.readouterr()
    assert "no space left on the device holding" in one_error_line(err)

    kb = KnowledgeBase.open(settings_for(home, model_cache))
    assert kb.store.count() == ARTICLE_PASSAGES
    assert not any(p.source == "notes.txt" for p in kb.store.all_passages())
    assert kb.store.source_is_current(ARTICLE_NAME, bundled_article().passages)
    assert main(["ingest", str(notes)]) == 0, "with space again, the same command works"
    assert f"notes.txt: {len(passages)} passages ({len(passages)} added" in capsys.readouterr().out
    assert kb.store.count() == ARTICLE_PASSAGES + len(passages)


def test_a_full_session_database_is_one_clear_error_and_keeps_the_conversation(home: Path, model_cache: Path) -> None:
    advisor = Advisor.create(settings_for(home, model_cache), offline=True)
    advisor.reply("s", INCOME)
    db = advisor.sessions._db
    assert db is not None
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"

    with pytest.raises(StoreError, match="could not save the conversation: database or disk is full"):
        for i in range(200):
            advisor.reply(f"other-{i}", "when do AI engineers burn out? " + "x" * 2000)

    db.execute("PRAGMA max_page_count = 1073741823")
    assert user_turns(advisor.history("s")) == [INCOME]
    assert "₹3-6L" in advisor.reply("s", "and AI engineers?").answer
    assert integrity(home / "sessions.sqlite3") == "ok"


def _blocked_on(lock: Path) -> int:
    """How many processes wait for the flock on ``lock`` (from /proc/locks)."""
    inode = f":{lock.stat().st_ino} "
    return sum(1 for line in Path("/proc/locks").read_text().splitlines() if "->" in line and "FLOCK" in line and inode in line)


@pytest.mark.slow
def test_two_processes_ingesting_at_once_both_finish_and_nothing_is_lost(home: Path, tmp_path: Path, model_cache: Path) -> None:
    """Both open the store while the test holds its lock, then race for it once it is let go."""
    import fcntl

    docs, passages = [], []
    for name in ("alpha", "beta"):
        doc = tmp_path / f"{name}.txt"
        notes = [
            f"The {name} team note {i} covers workflow {name} item {i}. "
            + " ".join(f"Detail {j} of item {i} for the {name} team." for j in range(8))
            for i in range(6)
        ]
        doc.write_text(f"# {name}\n\n" + "\n\n".join(notes))
        docs.append(doc)
        passages.append(read_source(doc)[1])
    assert all(len(p) > 3 for p in passages)
    env = child_env(home, model_cache)
    with (home / "ingest.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pathwise", "ingest", str(doc)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for doc in docs
        ]
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while _blocked_on(home / "ingest.lock") < 2:  # bounded polling, not a sleep
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "the writers never reached the lock"
            threading.Event().wait(0.01)
        fcntl.flock(held, fcntl.LOCK_UN)
    outputs = [p.communicate(timeout=PROCESS_TIMEOUT) for p in procs]
    for p, (out, err), mine in zip(procs, outputs, passages):
        assert p.returncode == 0 and "Traceback" not in err, err
        assert f"{len(mine)} passages ({len(mine)} added" in out

    kb = KnowledgeBase.open(settings_for(home, model_cache), ensure_bundled=False)
    assert kb.store.count() == ARTICLE_PASSAGES + sum(len(p) for p in passages)
    by_source = {p.id: p.source for p in kb.store.all_passages()}
    assert sorted(set(by_source.values())) == sorted([ARTICLE_NAME, "alpha.txt", "beta.txt"])
    for name in ("alpha", "beta"):
        hits = kb.search(f"The {name} team note 3 covers workflow {name} item 3", 1)
        assert by_source[hits[0].id] == f"{name}.txt" and hits[0].text.startswith(f"The {name} team note 3")
        vector = kb.store.embedder.embed([hits[0].text])[0]
        assert kb.store.dense(vector, 1)[0][0] == hits[0].id, "every vector is in the index"
    for doc in docs:
        assert kb.store.source_is_current(*read_source(doc)), f"{doc.name}'s ingest is recorded"
