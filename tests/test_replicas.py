"""Beyond one machine: app replicas that share PostgreSQL (``PATHWISE_DATABASE_URL``) and a Chroma
server (``PATHWISE_CHROMA_URL``), each with a data dir of its own.

Replicas are real processes (`pathwise serve` driven with gradio_client, `pathwise chat --jsonl`)
on a real PostgreSQL and a real `chroma run`, both on 127.0.0.1; the fake OpenAI server stands in
for the model. A conversation handed from one replica to the other stays whole, a replica killed
mid-turn loses only that turn, and a database that goes away costs one clear error, not the app.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fake_openai import FakeOpenAI, Hang, Reply, Status
from test_reliability import PROCESS_TIMEOUT, SignallingFake, pairs, searched_for, sent_to_model
from test_soak import CODE, FlakyOpenAI, codes, percentile

from pathwise.agent.advisor import Advisor
from pathwise.agent.sessions import PostgresSessionStore
from pathwise.bench.servers import PostgresCluster as Cluster
from pathwise.bench.servers import ServedApp, ServerError
from pathwise.config import Settings
from pathwise.database import Database
from pathwise.errors import StoreError

INCOME = "how much do automation specialists earn?"
ANSWER_1 = "Automation specialists start lower; the article gives the figures by period."
ANSWER_3 = "Because the two paths pay off at different times."

pytestmark = pytest.mark.slow


def replica_env(home: Path, model_cache: Path, database_url: str, chroma_url: str, **extra: str) -> dict[str, str]:
    """One replica's environment: its own data dir, the shared database and Chroma server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWISE_", "OPENAI_"))}
    return {
        **env,
        "PATHWISE_HOME": str(home),
        "PATHWISE_CACHE_DIR": str(model_cache),
        "PATHWISE_DATABASE_URL": database_url,
        "PATHWISE_CHROMA_URL": chroma_url,
        "ANONYMIZED_TELEMETRY": "False",
        **extra,
    }


def llm_env(server: FakeOpenAI, timeout: str = "10", retries: str = "0") -> dict[str, str]:
    return {
        "OPENAI_API_KEY": "sk-test-replicas",
        "OPENAI_BASE_URL": server.base_url,
        "PATHWISE_LLM_MAX_RETRIES": retries,
        "PATHWISE_LLM_TIMEOUT": timeout,
    }


class Chat:
    """A `pathwise chat --jsonl` replica that stays up: one line in, one answer line out."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pathwise", "chat", "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr or []), daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout or []:
            self._lines.put(line)
        self._lines.put("")

    def send(self, session: str, message: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"session": session, "message": message}) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        line = self._lines.get(timeout=PROCESS_TIMEOUT)
        assert line, f"the replica exited: {''.join(self.stderr)[-800:]}"
        return json.loads(line)

    def ask(self, session: str, message: str) -> dict[str, Any]:
        self.send(session, message)
        return self.receive()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(PROCESS_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(PROCESS_TIMEOUT)
        assert "Traceback" not in "".join(self.stderr), "".join(self.stderr)


@pytest.fixture
def replicas(tmp_path: Path, model_cache: Path, database_url: str, chroma_server_url: str) -> Any:
    """``make(**extra)`` gives the environment of one more replica: a data dir of its own, the shared stores."""
    made: list[Path] = []

    def make(**extra: str) -> dict[str, str]:
        home = tmp_path / f"replica-{len(made)}"
        made.append(home)
        return replica_env(home, model_cache, database_url, chroma_server_url, **extra)

    return make


def stored_history(database_url: str, session: str) -> list[tuple[str, str]]:
    db = Database(database_url, timeout=10)
    try:
        return [(e.user, e.answer) for e in PostgresSessionStore(db).get(session).exchanges]
    finally:
        db.close()


# -- one conversation, two replicas ---------------------------------------------------------------------------


def test_one_conversation_handed_between_two_chat_processes(replicas: Any, database_url: str) -> None:
    """A answers, B answers the follow-up (offline: the model fails), A answers the next: each sees it all.

    B reads A's turn from the database, so its offline answer resolves "And AI engineers?" to
    income, and the model was sent A's turn; A then sends the model B's turn too.
    """
    with FakeOpenAI() as server:
        server.enqueue(Reply(ANSWER_1), Status(500), Reply(ANSWER_3))
        a, b = Chat(replicas(**llm_env(server))), Chat(replicas(**llm_env(server)))
        try:
            first = a.ask("s", INCOME)
            second = b.ask("s", "And AI engineers?")
            third = a.ask("s", "Why?")
        finally:
            a.close()
            b.close()
    assert (first["mode"], first["answer"]) == ("llm", ANSWER_1)
    assert second["mode"] == "offline" and "₹3-6L" in second["answer"] and "₹10-30k" not in second["answer"]
    assert sent_to_model(server.requests[1]) == [*pairs((INCOME, ANSWER_1)), ("user", "And AI engineers?")]
    assert searched_for(server.requests[1]) == "how much do AI Engineers earn?"  # A's topic, resolved on B
    assert (third["mode"], third["answer"]) == ("llm", ANSWER_3)
    assert sent_to_model(server.requests[2]) == [
        *pairs((INCOME, ANSWER_1), ("And AI engineers?", second["answer"])),
        ("user", "Why?"),
    ]
    assert stored_history(database_url, "s") == [(INCOME, ANSWER_1), ("And AI engineers?", second["answer"]), ("Why?", ANSWER_3)]
    for home in (Path(a.env["PATHWISE_HOME"]), Path(b.env["PATHWISE_HOME"])):  # nothing another replica needs
        assert [p.name for p in home.rglob("*") if p.is_file()] == [], home


def test_one_conversation_handed_between_two_served_replicas(replicas: Any, model_cache: Path, database_url: str) -> None:
    """Two `pathwise serve` processes; one browser session's turns go A, B, A (no session affinity)."""
    from gradio_client import Client

    with FakeOpenAI() as server:
        server.enqueue(Reply(ANSWER_1), Status(500), Reply(ANSWER_3))
        env_a, env_b = replicas(**llm_env(server)), replicas(**llm_env(server))
        with (
            ServedApp(Path(env_a["PATHWISE_HOME"]), model_cache, env={**env_a, "PATHWISE_OFFLINE": "false"}) as app_a,
            ServedApp(Path(env_b["PATHWISE_HOME"]), model_cache, env={**env_b, "PATHWISE_OFFLINE": "false"}) as app_b,
        ):
            to_a = Client(app_a.url, verbose=False, download_files=False)
            to_b = Client(app_b.url, verbose=False, download_files=False)
            to_b.session_hash = to_a.session_hash  # one browser, its requests spread over both replicas
            first = to_a.predict(INCOME, api_name="/chat")
            second = to_b.predict("And AI engineers?", api_name="/chat")
            to_b.predict(-1, False, api_name="/feedback")  # a thumbs down on B's answer, kept in the database
            third = to_a.predict("Why?", api_name="/chat")
    assert (first["mode"], first["answer"]) == ("llm", ANSWER_1)
    assert second["mode"] == "offline" and "₹3-6L" in second["answer"] and "₹10-30k" not in second["answer"]
    assert searched_for(server.requests[1]) == "how much do AI Engineers earn?"
    assert third["mode"] == "llm" and third["answer"] == ANSWER_3
    assert [m for m in sent_to_model(server.requests[2]) if m[0] == "user"] == [
        ("user", INCOME),
        ("user", "And AI engineers?"),
        ("user", "Why?"),
    ]
    with psycopg.connect(database_url) as db:
        votes = db.execute("SELECT question, liked, mode FROM pathwise_feedback").fetchall()
    assert votes == [("And AI engineers?", False, "offline")]


class HeldFake(FakeOpenAI):
    """The fake server, holding its first answer back until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.holding, self.release = threading.Event(), threading.Event()

    def _next(self, recorded: Any) -> Any:
        script = super()._next(recorded)
        if not self.holding.is_set():
            self.holding.set()
            self.release.wait(PROCESS_TIMEOUT)
        return script


def test_two_replicas_answering_one_conversation_at_once_keep_every_turn_in_order(replicas: Any, database_url: str) -> None:
    """Both replicas get a turn of one session at the same moment: the model's memory and the
    session store both end up with both turns, in the same order, neither one dropped."""
    with HeldFake() as server:
        server.enqueue(Reply("First answer."), Reply("Second answer."))
        a, b = Chat(replicas(**llm_env(server))), Chat(replicas(**llm_env(server)))
        try:
            a.ask("warm", "")  # both replicas up before the race
            b.ask("warm", "")
            a.send("s", "First question?")
            assert server.holding.wait(PROCESS_TIMEOUT), "A's turn never reached the model"
            b.send("s", "Second question?")  # waits for A's turn: it holds the conversation's lock
            server.release.set()
            first, second = a.receive(), b.receive()
        finally:
            server.release.set()
            a.close()
            b.close()
    assert first["mode"] == "llm" and second["mode"] == "llm"
    # B's model call came after A's turn was saved, and carried it.
    assert sent_to_model(server.requests[-1]) == [*pairs(("First question?", first["answer"])), ("user", "Second question?")]
    assert first["answer"] == "First answer."
    assert stored_history(database_url, "s") == [("First question?", "First answer."), ("Second question?", "Second answer.")]


def test_sigkill_of_one_replica_mid_turn_loses_only_that_turn(replicas: Any, database_url: str) -> None:
    """A answers two turns, then is killed -9 while the model writes the third; B carries on at once.

    B's model is sent exactly the two answered turns, the killed question appears nowhere, and
    nothing is duplicated.
    """
    with SignallingFake() as server:
        release = threading.Event()
        server.enqueue(Reply("Answer one."), Reply("Answer two."), Hang(release), Reply("Answer three."))
        a, b = Chat(replicas(**llm_env(server))), Chat(replicas(**llm_env(server)))
        try:
            a.ask("k", "Question one?")
            a.ask("k", "Question two?")
            a.send("k", "The killed question?")
            assert server.hanging.wait(PROCESS_TIMEOUT), "the turn never reached the model"
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(PROCESS_TIMEOUT)
            started = time.perf_counter()
            third = b.ask("k", "Question three?")
            waited = time.perf_counter() - started
        finally:
            release.set()
            b.close()
    assert a.proc.returncode == -signal.SIGKILL
    assert (third["mode"], third["answer"]) == ("llm", "Answer three.")
    assert waited < 10, "the killed replica's lock on the conversation went with its connection"
    assert sent_to_model(server.requests[-1]) == [
        *pairs(("Question one?", "Answer one."), ("Question two?", "Answer two.")),
        ("user", "Question three?"),
    ]
    assert stored_history(database_url, "k") == [
        ("Question one?", "Answer one."),
        ("Question two?", "Answer two."),
        ("Question three?", "Answer three."),
    ]


# -- load and faults -------------------------------------------------------------------------------------------

SOAK_SESSIONS, SOAK_TURNS = 50, 10
SOAK_LIMIT_S = 420  # the whole soak, on 2 cores; a turn waits at most 1 s for the model, twice


def test_50_sessions_x_10_turns_over_two_served_replicas_with_10_percent_faults(
    replicas: Any, model_cache: Path, database_url: str
) -> None:
    """Each session's turns alternate between the two replicas; the model fails about one call in ten.

    Every turn is answered (by the model or, visibly, offline), none is lost or duplicated, and
    no session's code word reaches another's answer, memory or model request.
    """
    from gradio_client import Client

    with FlakyOpenAI() as server:
        envs = [{**replicas(**llm_env(server, timeout="1", retries="1")), "PATHWISE_OFFLINE": "false"} for _ in range(2)]
        with (
            ServedApp(Path(envs[0]["PATHWISE_HOME"]), model_cache, env=envs[0]) as one,
            ServedApp(Path(envs[1]["PATHWISE_HOME"]), model_cache, env=envs[1]) as two,
        ):
            words = codes(SOAK_SESSIONS, "replicas")
            errors: list[str] = []

            def session(i: int, code: str) -> tuple[str, list[tuple[dict[str, Any], float]]]:
                first = Client(one.url, verbose=False, download_files=False)
                second = Client(two.url, verbose=False, download_files=False)
                second.session_hash = first.session_hash
                out = []
                for t in range(SOAK_TURNS):
                    client = (first, second)[(i + t) % 2]
                    started = time.perf_counter()
                    try:
                        turn = client.predict(f"My code word is {code}. Turn {t}: what should I focus on?", api_name="/chat")
                    except Exception as exc:  # an error a person would see
                        errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    out.append((turn, (time.perf_counter() - started) * 1000))
                return first.session_hash, out

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=16) as pool:
                results = list(pool.map(session, range(SOAK_SESSIONS), words))
            wall = time.perf_counter() - started

    turns = [(code, turn, ms) for code, (_, rows) in zip(words, results) for turn, ms in rows]
    leaks = [t["answer"] for code, t, _ in turns if set(CODE.findall(t["answer"])) - {code}]
    figures = {
        "turns": len(turns),
        "offline_fallbacks": sum(1 for _, t, _ in turns if t["mode"] == "offline"),
        "faults_injected": sum(server.faults.values()),
        "model_calls": server.calls,
        "errors_shown": len(errors),
        "cross_session_leaks": len(leaks) + server.leaks,
        "p50_ms": percentile([ms for *_, ms in turns], 0.5),
        "p95_ms": percentile([ms for *_, ms in turns], 0.95),
        "wall_s": round(wall, 1),
    }
    print(f"\nreplicas soak: {json.dumps(figures)}")
    assert errors == [], errors[:3]
    assert figures["turns"] == SOAK_SESSIONS * SOAK_TURNS
    assert leaks == [] and server.leaks == 0
    assert figures["faults_injected"] >= 0.05 * figures["model_calls"], "the soak really ran with faults"
    for code, (session_hash, rows) in zip(words, results):
        assert all(t["answer"] == f"I remember these code words: {code}." for t, _ in rows if t["mode"] == "llm")
        saved = stored_history(database_url, f"{session_hash}~0")
        assert [user for user, _ in saved] == [
            f"My code word is {code}. Turn {t}: what should I focus on?" for t in range(SOAK_TURNS)
        ], "every turn kept once, in order"
    assert wall < SOAK_LIMIT_S, figures


# -- the database going away ------------------------------------------------------------------------------------


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of the test's own, to stop and start under a running app."""
    try:
        cluster = Cluster()
    except (ServerError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {exc}")
        pytest.skip(f"no PostgreSQL: {exc}")
    yield cluster
    cluster.close()


def test_an_unreachable_database_at_start_is_one_clear_error(tmp_path: Path, model_cache: Path, own_cluster: Cluster) -> None:
    own_cluster.stop()
    env = replica_env(tmp_path / "home", model_cache, own_cluster.url, "", PATHWISE_DATABASE_TIMEOUT="2")
    done = subprocess.run(
        [sys.executable, "-m", "pathwise", "chat", "--jsonl"],
        input="",
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        env=env,
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"pathwise: error: cannot reach the database at 127.0.0.1:{own_cluster.port}/pathwise")
    assert "refused" in line.lower()


@pytest.mark.parametrize(
    "url, says",
    [
        ("mysql://me@127.0.0.1/pathwise", "bad setting DATABASE_URL"),
        ("postgresql://postgres@127.0.0.1:{port}/no_such_db", 'database "no_such_db" does not exist'),
    ],
    ids=["not-postgres", "no-such-database"],
)
def test_a_wrong_database_url_is_one_clear_error(
    url: str,
    says: str,
    own_cluster: Cluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    model_cache: Path,
) -> None:
    from pathwise.cli import main

    monkeypatch.setenv("PATHWISE_DATABASE_URL", url.format(port=own_cluster.port))
    monkeypatch.setenv("PATHWISE_CACHE_DIR", str(model_cache))
    monkeypatch.setenv("PATHWISE_OFFLINE", "1")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(""))
    assert main(["chat", "--jsonl"]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("pathwise: error:") and says in line


def test_the_database_restarted_mid_run(own_cluster: Cluster, model_cache: Path, tmp_path: Path, kb: Any) -> None:
    """PostgreSQL stops while a turn is with the model: that turn is one clear error; once it is
    back the next turns work in the same app, with the conversation as it was."""
    with SignallingFake() as server:
        settings = Settings(
            home=tmp_path / "home",
            cache_dir=model_cache,
            database_url=own_cluster.url,
            database_timeout=2,
            openai_api_key="sk-test",
            openai_base_url=server.base_url,
            llm_max_retries=0,
            llm_timeout=10,
        )
        release = threading.Event()
        server.enqueue(Reply("Answer one."), Hang(release), Reply("Answer three."))
        advisor = Advisor.create(settings)
        assert advisor.reply("s", "Question one?").answer == "Answer one."

        failed: list[BaseException] = []

        def in_flight() -> None:
            try:
                advisor.reply("s", "Question two?")
            except StoreError as exc:
                failed.append(exc)

        worker = threading.Thread(target=in_flight)
        worker.start()
        assert server.hanging.wait(PROCESS_TIMEOUT)
        own_cluster.stop()
        release.set()
        worker.join(PROCESS_TIMEOUT)
        assert not worker.is_alive()
        [error] = failed
        assert "could not" in str(error) and "\n" not in str(error)

        own_cluster.start()
        third = advisor.reply("s", "Question three?")
        assert (third.mode, third.answer) == ("llm", "Answer three.")
        assert advisor.history("s") == [("Question one?", "Answer one."), ("Question three?", "Answer three.")]
        assert sent_to_model(server.requests[-1]) == [*pairs(("Question one?", "Answer one.")), ("user", "Question three?")]


def test_a_database_down_between_turns_is_a_bounded_clear_error(
    own_cluster: Cluster, model_cache: Path, tmp_path: Path, kb: Any
) -> None:
    settings = Settings(
        home=tmp_path / "home", cache_dir=model_cache, database_url=own_cluster.url, database_timeout=2, offline=True
    )
    advisor = Advisor.create(settings, offline=True)
    advisor.reply("s", INCOME)
    own_cluster.stop()
    started = time.perf_counter()
    with pytest.raises(StoreError, match="could not read the conversation") as caught:
        advisor.reply("s", "And AI engineers?")
    assert time.perf_counter() - started < 10 and "\n" not in str(caught.value)
    own_cluster.start()
    follow_up = advisor.reply("s", "And AI engineers?")
    assert "₹3-6L" in follow_up.answer  # the conversation from before the outage


def test_a_slow_database_is_a_bounded_wait(database_url: str, kb: Any, model_cache: Path, tmp_path: Path) -> None:
    """Another transaction holds the session's row, and every connection is taken: each wait ends in time."""
    settings = Settings(
        home=tmp_path / "home",
        cache_dir=model_cache,
        database_url=database_url,
        database_timeout=1,
        database_pool_size=2,
        offline=True,
    )
    advisor = Advisor.create(settings, offline=True)
    advisor.reply("s", INCOME)
    with psycopg.connect(database_url) as other:
        other.execute("SELECT 1 FROM pathwise_sessions WHERE id = 's' FOR UPDATE")  # held until the block ends
        started = time.perf_counter()
        with pytest.raises(StoreError, match="could not save the conversation: .*lock timeout"):
            advisor.reply("s", "And AI engineers?")
        assert time.perf_counter() - started < 5
    db = advisor.sessions.db  # type: ignore[attr-defined]
    held = [db.pool.getconn(), db.pool.getconn()]
    try:
        started = time.perf_counter()
        with pytest.raises(StoreError, match="no database connection came free in time"):
            advisor.reply("t", INCOME)
        assert time.perf_counter() - started < 5
    finally:
        for conn in held:
            db.pool.putconn(conn)
    assert "₹3-6L" in advisor.reply("s", "And AI engineers?").answer


def test_replicas_starting_at_once_migrate_the_schema_once(database_url: str) -> None:
    """Four processes' worth of pools open one fresh database together: one migrates, none fails."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        dbs = list(pool.map(lambda _: Database(database_url, timeout=10), range(4)))
    try:
        with dbs[0].connection("read the schema") as conn:
            assert conn.execute("SELECT version FROM pathwise_schema").fetchall() == [(1,)]
            assert conn.execute("SELECT count(*) FROM checkpoint_migrations").fetchone()[0] > 0  # type: ignore[index]
    finally:
        for db in dbs:
            db.close()


def test_a_database_url_without_the_postgres_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pathwise import database
    from pathwise.config import Settings
    from pathwise.errors import ConfigError

    monkeypatch.setitem(sys.modules, "psycopg_pool", None)  # as if not installed: importing it raises ImportError
    settings = Settings(home=tmp_path, database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[postgres\]'"):
        database.connect(settings)
