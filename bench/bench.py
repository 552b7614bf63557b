"""`pathwise bench`: latency, cold start, ingest, scaling, concurrency, store modes and scale-out,
with the baselines a user would build instead, measured in one run on one machine.

Warm figures are taken in this process; anything whose cost is the process itself (cold start,
peak RSS per corpus size, the served web app, a second app process) runs in a fresh process
(``worker.py``, ``pathwise ask``, ``pathwise serve``). Every store lives in a temporary
directory; only the embedding model's cache (``settings.cache_dir``) is shared, plus a cache of
distractor vectors beside it so a rerun does not embed the synthetic corpora again.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pathwise.bench.evaluate import Case, follow_up_condenser, load_cases
from pathwise.bench.figures import headline, projections, targets
from pathwise.bench.load import conversations, run_sessions
from pathwise.bench.report import format_report, write_plots
from pathwise.bench.servers import AppProcess, child_env, shared_session_check
from pathwise.bench.stats import machine, now, summary, versions

if TYPE_CHECKING:
    from pathwise.agent.advisor import Advisor
    from pathwise.config import Settings
    from pathwise.knowledge.base import KnowledgeBase

log = logging.getLogger("pathwise.bench")

COLD_QUESTION = "When do AI engineers burn out?"
VECTOR_CHUNK = 5_000  # distractors embedded between saves of the vector cache
HTTP_ENDPOINTS = ("/ask", "/chat", "/respond", "/reply", "/send", "/submit")  # tried in this order


class BenchError(RuntimeError):
    """A benchmark step could not run (a worker process failed or printed nothing)."""


@dataclass(frozen=True)
class Plan:
    """How much of everything to measure."""

    name: str
    search_reps: int = 5  # passes over the dev questions
    turn_reps: int = 3
    cold_reps: int = 3  # `pathwise ask` runs
    split_reps: int = 3  # stepwise cold runs (after one on an empty store)
    ingest_passages: int = 1000
    sizes: tuple[int, ...] = (1_000, 10_000)  # distractor corpora for the scaling section
    scale_reps: int = 5
    concurrency: tuple[int, ...] = (10, 50)
    http_concurrency: tuple[int, ...] = (10, 50)
    turns_per_session: int = 3
    store_modes: bool = True
    store_passages: int = 1000
    beyond: bool = True
    beyond_sessions: int = 40  # per app process
    beyond_threads: int = 10  # per app process
    replicas: bool = True  # two `pathwise serve` on one PostgreSQL (a throwaway cluster), and a turn on PostgreSQL vs SQLite
    replica_sessions: int = 20
    replica_threads: int = 8
    llm_turns: int = 24  # a p50 over fewer moves by milliseconds from run to run
    baseline_imports: bool = True
    seed: int = 7


QUICK = Plan(
    "quick",
    search_reps=3,
    turn_reps=1,
    cold_reps=1,
    split_reps=1,
    ingest_passages=200,
    sizes=(),
    http_concurrency=(10,),
    store_modes=False,
    beyond=False,
    replicas=False,
    llm_turns=5,
    baseline_imports=False,
)
STANDARD = Plan("standard")
FULL = Plan("full", sizes=(1_000, 10_000, 100_000))


def plan_for(quick: bool, full: bool = False) -> Plan:
    return QUICK if quick else FULL if full else STANDARD


# -- entry point ----------------------------------------------------------------------------
def run(
    quick: bool,
    out_dir: Path,
    settings: Settings,
    *,
    full: bool = False,
    plan: Plan | None = None,
    echo: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the benchmark, write ``out_dir/bench-<stamp>.json`` and its PNGs, print a table.

    With ``quick`` the last line printed is one JSON object of headline figures.
    """
    plan = plan or plan_for(quick, full)
    say = progress or (lambda msg: print(f"[bench] {msg}", file=sys.stderr, flush=True))
    started = time.perf_counter()
    stamp = now()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "schema": 1,
        "date": stamp.isoformat(timespec="seconds"),
        "mode": plan.name,
        "machine": {**machine(), "load_avg_at_start": _load_avg()},
        "versions": versions(),
        "plan": asdict(plan),
    }
    cases = load_cases(None)
    with tempfile.TemporaryDirectory(prefix="pathwise-bench-") as tmp_name:
        b = _Bench(plan, settings, Path(tmp_name), cases, say)
        result["sections"] = b.run_all()
    result["projections"] = projections(result["sections"])
    result["targets"] = targets(result["sections"])
    result["headline"] = headline(result["sections"])
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_avg_at_end"] = _load_avg()

    base = out_dir / f"bench-{stamp.strftime('%Y%m%d-%H%M%S')}"
    result["files"] = {"json": str(base.with_suffix(".json")), "plots": write_plots(result, base)}
    base.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    echo(format_report(result))
    if quick:
        echo(json.dumps({**result["headline"], "json": result["files"]["json"]}))
    return result


class _Bench:
    def __init__(self, plan: Plan, settings: Settings, tmp: Path, cases: list[Case], say: Callable[[str], None]) -> None:
        self.plan = plan
        self.settings = settings
        self.cache_dir = Path(settings.cache_dir)
        self.tmp = tmp
        self.cases = cases
        self.say = say
        self.gold = [c for c in cases if c.passage]
        self.spans = [c.passage or "" for c in self.gold]
        self.sections: dict[str, Any] = {}
        self.queries: list[str] = []  # the gold cases' conversations condensed as the advisor does
        self.condense: Callable[[list[str]], str] = " ".join
        self._server: Any = None

    def local(self, name: str, **update: Any) -> Settings:
        """The caller's settings pointed at a fresh temporary store."""
        home = self.tmp / name
        home.mkdir(parents=True, exist_ok=True)
        return self.settings.model_copy(update={"home": home, "chroma_url": None, "offline": True, **update})

    def section(self, name: str, fn: Callable[[], Any]) -> None:
        """Run one section; a failure is recorded in the results and the run goes on."""
        self.say(f"{name} …")
        t = time.perf_counter()
        try:
            self.sections[name] = fn()
        except Exception as exc:  # one broken section must not cost the figures of the others
            log.exception("bench section %s failed", name)
            self.sections[name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        self.say(f"{name} done in {time.perf_counter() - t:.1f} s")

    def run_all(self) -> dict[str, Any]:
        from pathwise.agent.advisor import Advisor
        from pathwise.knowledge.base import KnowledgeBase

        main = self.local("main")
        t = time.perf_counter()
        kb = KnowledgeBase.open(main)
        opened = time.perf_counter() - t
        self.sections["setup"] = {"open_with_article_ingest_s": round(opened, 3), "passages": kb.store.count()}
        self.condense = follow_up_condenser(kb)
        self.queries = [self.condense(c.turns) for c in self.gold]
        advisor = Advisor(kb, settings=main)
        try:
            self.section("baselines", lambda: self.baselines(kb))
            self.section("search", lambda: self.search(kb))
            self.section("turns", lambda: self.turns(kb, main))
            self.section("concurrency", lambda: self.concurrency(advisor))
            self.section("cold", self.cold)
            self.section("ingest", self.ingest)
            if self.plan.sizes:
                self.section("scaling", self.scaling)
            if self.plan.store_modes:
                self.section("store_modes", self.store_modes)
            if self.plan.beyond:
                self.section("beyond", self.beyond)
            if self.plan.replicas:
                self.section("replicas", lambda: self.replicas(kb))
            # last: gradio_client and LangGraph leave imports and threads behind in this process
            self.section("http", self.http)
            self.section("llm", lambda: self.llm(main))
        finally:
            if self._server is not None:
                self._server.stop()
        return self.sections

    # -- retrieval quality ----------------------------------------------------------------
    def baselines(self, kb: KnowledgeBase) -> dict[str, Any]:
        from pathwise.bench.evaluate import eval_retrieval

        out = eval_retrieval(kb, self.cases, condense=self.condense)
        out["bm25s_only"] = self.bm25s_baseline()
        if self.plan.baseline_imports:
            out["import_ms"] = {
                "pathwise.knowledge.lexical": _import_ms("pathwise.knowledge.lexical"),
                "bm25s": _import_ms("bm25s"),
            }
        return out

    def bm25s_baseline(self) -> dict[str, Any]:
        """The library BM25 on the same passages, for comparison with the hand-rolled one."""
        import bm25s

        from pathwise.bench.evaluate import rank_metrics
        from pathwise.knowledge.corpus import bundled_article

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG
        passages = bundled_article().passages
        retriever = bm25s.BM25()
        corpus = bm25s.tokenize([p.index_text for p in passages], stopwords="en", show_progress=False)
        retriever.index(corpus, show_progress=False)
        ranked, lat = [], []
        for query in self.queries:
            t = time.perf_counter()
            tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
            docs, _ = retriever.retrieve(tokens, k=5, show_progress=False)
            lat.append((time.perf_counter() - t) * 1000)
            ranked.append([passages[int(i)].text for i in docs[0]])
        return {**rank_metrics(ranked, self.spans), "p50_ms": summary(lat)["p50_ms"]}

    # -- warm latency ---------------------------------------------------------------------
    def search(self, kb: KnowledgeBase) -> dict[str, Any]:
        queries = [self.condense(c.turns) for c in self.cases]
        kb.search(queries[0], 5)
        lat = []
        for _ in range(self.plan.search_reps):
            for q in queries:
                t = time.perf_counter()
                kb.search(q, 5)
                lat.append((time.perf_counter() - t) * 1000)
        return {"passages": kb.store.count(), "k": 5, **summary(lat)}

    def turns(self, kb: KnowledgeBase, settings: Settings) -> dict[str, Any]:
        from pathwise.agent.advisor import Advisor
        from pathwise.agent.sessions import SessionStore

        memory = Advisor(kb, settings=settings)
        convs = conversations([c.turns for c in self.cases], len(self.cases), self.plan.turns_per_session)
        memory.reply("warm-up", COLD_QUESTION)
        fresh: list[float] = []
        follow: list[float] = []
        for rep in range(self.plan.turn_reps):
            for i, conv in enumerate(convs):
                for j, message in enumerate(conv):
                    t = time.perf_counter()
                    memory.reply(f"turn-{rep}-{i}", message)
                    (follow if j else fresh).append((time.perf_counter() - t) * 1000)
        durable = Advisor(kb, settings=settings, sessions=SessionStore(self.tmp / "turns-sessions.sqlite3"))
        saved = []
        for i, conv in enumerate(convs):
            for message in conv:
                t = time.perf_counter()
                durable.reply(f"durable-{i}", message)
                saved.append((time.perf_counter() - t) * 1000)
        return {
            "all": summary(fresh + follow),
            "fresh_session": summary(fresh),
            "follow_up": summary(follow),
            "durable_sessions": summary(saved, samples=False),
        }

    # -- concurrency ----------------------------------------------------------------------
    def concurrency(self, advisor: Advisor) -> dict[str, Any]:
        starters = [c.turns for c in self.cases]
        out = {}
        for n in self.plan.concurrency:
            convs = conversations(starters, n, self.plan.turns_per_session)
            cpu = _own_cpu_s()
            out[str(n)] = run_sessions(advisor.reply, convs, n, f"conc{n}")
            out[str(n)]["cpu_ms_per_turn"] = round((_own_cpu_s() - cpu) * 1000 / max(1, out[str(n)]["turns"]), 1)
        return out

    def http(self) -> dict[str, Any]:
        """Simultaneous sessions through `pathwise serve` in its own process, each a gradio_client session.

        The app runs apart from this process so the clients' threads do not share its interpreter.
        """
        if not self.plan.http_concurrency:
            return {"available": False, "reason": "not in this plan"}
        if importlib.util.find_spec("pathwise.ui.app") is None:
            return {"available": False, "reason": "pathwise.ui.app is not there yet"}
        from gradio_client import Client

        from pathwise.bench.servers import ServedApp

        home = self.tmp / "http"
        if (self.tmp / "cold").is_dir() and not home.exists():  # a store the cold runs already filled
            shutil.copytree(self.tmp / "cold", home)
        starters = [c.turns for c in self.cases]
        with ServedApp(home, self.cache_dir) as web:
            probe = Client(web.url, verbose=False)
            endpoint = pick_endpoint(probe)
            if endpoint is None:
                reason = f"no endpoint named one of {HTTP_ENDPOINTS}"
                return {"available": False, "reason": reason, "endpoints": endpoints(probe)}
            out: dict[str, Any] = {"available": True, "endpoint": endpoint, "serve_ready_s": web.ready_s}
            for n in self.plan.http_concurrency:
                # one client per conversation: each is its own Gradio session, as each browser tab is
                clients = {f"http{n}-{i}": Client(web.url, verbose=False) for i in range(n)}
                convs = conversations(starters, n, self.plan.turns_per_session)
                server_cpu, client_cpu = web.cpu_s(), _own_cpu_s()
                row = run_sessions(_http_reply(clients, endpoint), convs, n, f"http{n}")
                per_turn = 1000 / max(1, row["turns"])
                row["server_cpu_ms_per_turn"] = round((web.cpu_s() - server_cpu) * per_turn, 1)
                row["client_cpu_ms_per_turn"] = round((_own_cpu_s() - client_cpu) * per_turn, 1)
                out[str(n)] = row
            out["server_rss_mb"] = web.rss_mb()
            out["note"] = (
                "load generator (gradio_client) and server share this machine's CPUs; "
                "the CPU per turn on each side says how much of the throughput each one costs"
            )
            return out

    # -- LLM path ---------------------------------------------------------------------------
    def llm(self, settings: Settings) -> dict[str, Any]:
        """Turns through the LLM advisor against an instant fake server, in a process of its own.

        Earlier sections leave threads and a large heap behind in this process, which slowed LLM
        turns here by about 10 ms against a fresh process, as `pathwise serve` would be.
        """
        if not self.plan.llm_turns:
            return {"available": False, "reason": "not in this plan"}
        if importlib.util.find_spec("pathwise.agent.llm") is None:
            return {"available": False, "reason": "pathwise.agent.llm is not there yet"}
        questions = [c.turns[0] for c in self.gold][: self.plan.llm_turns]
        return self.worker(
            "llm", {"settings": settings.model_dump(mode="json", exclude={"openai_api_key"}), "questions": questions}
        )

    # -- cold start -------------------------------------------------------------------------
    def cold(self) -> dict[str, Any]:
        home = self.tmp / "cold"
        base = {"home": str(home), "cache_dir": str(self.cache_dir), "question": COLD_QUESTION}
        out: dict[str, Any] = {"python_startup_ms": _wall_ms([sys.executable, "-c", "pass"])}
        out["first_run_empty_store"] = self.worker("cold", base, timed=True)
        split = [self.worker("cold", base, timed=True) for _ in range(self.plan.split_reps)]
        if split:
            out["split"] = _median_dict(split)
        if importlib.util.find_spec("pathwise.cli") is None:
            out["ask"] = {"available": False, "reason": "pathwise.cli is not there yet"}
            return out
        env = child_env(PATHWISE_HOME=str(home), PATHWISE_CACHE_DIR=str(self.cache_dir), PATHWISE_CHROMA_URL="")
        walls, failures = [], []
        # The first ask after a write opens Chroma and leaves the store's copy; the rest read the copy.
        for _ in range(self.plan.cold_reps + 1):
            t = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "pathwise", "ask", "--offline", COLD_QUESTION],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            if done.returncode == 0 and done.stdout.strip():
                walls.append(time.perf_counter() - t)
            else:
                failures.append(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
        first, walls = (walls[0], walls[1:]) if len(walls) > self.plan.cold_reps else (None, walls)
        out["ask"] = {
            "available": True,
            "command": f"python -m pathwise ask --offline {COLD_QUESTION!r}",
            "runs": len(walls),
            "p50_s": round(_median(walls), 3) if walls else None,
            "max_s": round(max(walls), 3) if walls else None,
            "first_after_a_write_s": round(first, 3) if first is not None else None,
            "failures": failures,
        }
        return out

    def worker(self, task: str, args: dict[str, Any], *, timed: bool = False, timeout: float = 3600) -> dict[str, Any]:
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pathwise.bench.worker", task],
            input=json.dumps(args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env(),
        )
        wall = time.perf_counter() - t
        if done.returncode != 0:
            raise BenchError(f"worker {task} exited {done.returncode}: {done.stderr.strip()[-600:]}")
        lines = done.stdout.strip().splitlines()
        if not lines:
            raise BenchError(f"worker {task} printed nothing; stderr: {done.stderr.strip()[-300:]}")
        reply = json.loads(lines[-1])
        if timed:
            reply["process_wall_ms"] = round(wall * 1000, 1)
            if "in_process_ms" in reply:
                reply["interpreter_and_exit_ms"] = round(reply["process_wall_ms"] - reply["in_process_ms"], 1)
        return reply

    # -- ingest -----------------------------------------------------------------------------
    def ingest(self) -> dict[str, Any]:
        """`pathwise ingest FILE` of a synthetic article into a fresh store, then the same again."""
        from pathwise.bench.synthetic import as_article, distractors
        from pathwise.knowledge.base import KnowledgeBase

        kb = KnowledgeBase.open(self.local("ingest"), ensure_bundled=False)
        source = self.tmp / "synthetic-notes.txt"
        source.write_text(as_article(distractors(self.plan.ingest_passages, self.plan.seed + 1, self.spans)), encoding="utf-8")
        t = time.perf_counter()
        first = kb.ingest([source])
        first_s = time.perf_counter() - t
        count = kb.store.count()
        t = time.perf_counter()
        again = kb.ingest([source])
        again_s = time.perf_counter() - t
        changed = sum(cast(int, r[k]) for r in again for k in ("added", "updated", "removed"))
        passages = cast(int, first[0]["passages"])
        return {
            "passages": passages,
            "s": round(first_s, 3),
            "passages_per_s": round(passages / first_s, 1),
            "note": "embedding, Chroma writes and the BM25 rebuild included",
            "article_at_setup": self.sections.get("setup"),
            "reingest": {
                "s": round(again_s, 3),
                "changed": changed,
                "count_before": count,
                "count_after": kb.store.count(),
                "idempotent": changed == 0 and kb.store.count() == count,
            },
        }

    # -- scaling ----------------------------------------------------------------------------
    def vectors_for(self, n: int, seed: int) -> tuple[Path, dict[str, Any]]:
        """The cached vectors of the article and the first ``n`` distractors, embedding what is missing."""
        from pathwise.bench.synthetic import VectorCache, cache_path, distractors
        from pathwise.knowledge.corpus import bundled_article
        from pathwise.knowledge.embeddings import load_embedder

        path = cache_path(self.cache_dir, seed)
        cache = VectorCache(path)
        texts = [p.text for p in bundled_article().passages] + [p.text for p in distractors(n, seed, self.spans)]
        todo = cache.missing(texts)
        info: dict[str, Any] = {"embedded_now": len(todo)}
        if todo:
            self.say(f"embedding {len(todo):,} synthetic passages once (cached in {path.parent}) …")
            embedder, seconds = load_embedder(self.cache_dir), 0.0
            for start in range(0, len(todo), VECTOR_CHUNK):  # saved as it goes: an interrupted run keeps its work
                seconds += cache.fill(todo[start : start + VECTOR_CHUNK], embedder)
                cache.save()
                done = min(start + VECTOR_CHUNK, len(todo))
                rate = done / seconds
                self.say(f"  {done:,}/{len(todo):,} embedded, {rate:.0f}/s, ~{(len(todo) - done) / rate / 60:.0f} min left")
            info.update(embed_s=round(seconds, 1), embed_passages_per_s=round(len(todo) / seconds, 1))
        return path, info

    def scaling(self) -> list[dict[str, Any]]:
        rows = []
        for n in self.plan.sizes:
            self.say(f"scaling: {n:,} distractors")
            vectors, info = self.vectors_for(n, self.plan.seed)
            home = self.tmp / f"scale-{n}"
            where = {"home": str(home), "cache_dir": str(self.cache_dir)}
            build = self.worker(
                "scale-build", {**where, "vectors": str(vectors), "n": n, "seed": self.plan.seed, "avoid": self.spans}
            )
            disk = _du(home / "chroma")
            measured = self.worker(
                "scale-measure", {**where, "queries": self.queries, "spans": self.spans, "reps": self.plan.scale_reps}
            )
            rows.append(
                {
                    "distractors": n,
                    **measured,
                    "disk_mb": round(disk / 2**20, 1),
                    "disk_bytes_per_passage": round(disk / measured["passages"]),
                    "build": build,
                    "vectors": info,
                }
            )
            shutil.rmtree(home, ignore_errors=True)
        largest = FULL.sizes[-1]
        if largest not in self.plan.sizes:
            why = f"opt-in: pathwise bench --full (embedding {largest:,} passages once takes about 40 min on 2 CPUs)"
            rows.append({"distractors": largest, "skipped": why})
        return rows

    # -- embedded vs server ------------------------------------------------------------------
    def store_modes(self) -> dict[str, Any]:
        from pathwise.bench.servers import ChromaServer, chroma_binary

        if chroma_binary() is None:
            return {"available": False, "reason": "the chroma command is not installed"}
        vectors, _ = self.vectors_for(self.plan.store_passages, self.plan.seed)
        self._server = ChromaServer(self.tmp / "chroma-server")
        out: dict[str, Any] = {"server_ready_s": self._server.ready_s, "distractors": self.plan.store_passages}
        out["embedded"] = self.store_mode(self.local("embedded"), vectors)
        out["server"] = self.store_mode(self.local("server-client", chroma_url=self._server.url), vectors)
        out["server"]["server_rss_mb"] = self._server.rss_mb()
        return out

    def store_mode(self, settings: Settings, vectors: Path) -> dict[str, Any]:
        from pathwise.bench.synthetic import SOURCE, CachedEmbedder, VectorCache, distractors
        from pathwise.knowledge.base import KnowledgeBase
        from pathwise.knowledge.embeddings import load_embedder
        from pathwise.knowledge.facts import bundled_facts
        from pathwise.knowledge.retrieval import HybridRetriever
        from pathwise.knowledge.store import Store

        embedder = CachedEmbedder(VectorCache(vectors), load_embedder(self.cache_dir))
        passages = distractors(self.plan.store_passages, self.plan.seed, self.spans)
        t = time.perf_counter()
        store = Store(settings, embedder)
        kb = KnowledgeBase(store, HybridRetriever(store), bundled_facts())
        kb.ensure_bundled()
        store.ingest(SOURCE, passages)
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        kb.retriever.refresh()
        refresh_s = time.perf_counter() - t
        queries = self.queries
        qvecs = embedder.embed(queries)
        kb.search(queries[0], 5)
        search, dense = [], []
        for _ in range(self.plan.search_reps):
            for q, v in zip(queries, qvecs):
                t = time.perf_counter()
                kb.search(q, 5)
                search.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                store.dense(v, 50)
                dense.append((time.perf_counter() - t) * 1000)
        return {
            "passages": store.count(),
            "ingest_s": round(ingest_s, 3),
            "ingest_passages_per_s": round(store.count() / ingest_s, 1),
            "load_all_passages_s": round(refresh_s, 3),
            "search": summary(search, samples=False),
            "dense_query": summary(dense, samples=False),
        }

    # -- beyond one machine -----------------------------------------------------------------
    def beyond(self) -> dict[str, Any]:
        if self._server is None:
            return {"available": False, "reason": "needs the Chroma server from the store_modes section"}
        home = self.tmp / "shared-home"
        home.mkdir(exist_ok=True)
        args = {"home": str(home), "cache_dir": str(self.cache_dir), "chroma_url": self._server.url}
        starters = [c.turns for c in self.cases]
        convs = conversations(starters, self.plan.beyond_sessions, self.plan.turns_per_session)
        out: dict[str, Any] = {
            "setup": "N app processes (Advisor, offline, durable SQLite sessions in one shared file) "
            "against one Chroma server on 127.0.0.1",
            "sessions_per_process": len(convs),
            "concurrent_per_process": self.plan.beyond_threads,
        }
        for count in (1, 2):
            procs = [AppProcess(args) for _ in range(count)]
            try:
                ready = [p.receive(timeout=300) for p in procs]
                for i, p in enumerate(procs):
                    p.send({"op": "load", "conversations": convs, "threads": self.plan.beyond_threads, "prefix": f"p{count}-{i}"})
                t = time.perf_counter()
                loads = [p.receive(timeout=600) for p in procs]
                wall = time.perf_counter() - t
                row: dict[str, Any] = {
                    "open_s": [r["open_s"] for r in ready],
                    "rss_mb": [r["rss_mb"] for r in ready],
                    "turns": sum(r["turns"] for r in loads),
                    "errors": sum(r["errors"] for r in loads),
                    "wall_s": round(wall, 3),
                    "throughput_turns_per_s": round(sum(r["turns"] for r in loads) / wall, 1),
                    "p50_ms": [r["latency"]["p50_ms"] for r in loads],
                    "p95_ms": [r["latency"]["p95_ms"] for r in loads],
                }
                if count == 2:
                    row["shared_session"] = shared_session_check(procs)
                out[f"{count}_process" + ("es" if count > 1 else "")] = row
            finally:
                for p in procs:
                    p.close()
        out["chroma_server_rss_mb"] = self._server.rss_mb()
        return out

    def replicas(self, kb: KnowledgeBase) -> dict[str, Any]:
        """Two `pathwise serve` replicas on one PostgreSQL: turns/s and p95 against one replica,
        each session's turns alternating between them; and one turn's latency with its session
        in PostgreSQL against SQLite. Reported, not judged: client, replicas and database share
        this machine's CPUs."""
        from gradio_client import Client

        from pathwise.agent.advisor import Advisor
        from pathwise.agent.sessions import PostgresSessionStore, SessionStore
        from pathwise.bench.servers import PostgresCluster, ServedApp, ServerError
        from pathwise.database import Database

        try:
            cluster = PostgresCluster()
        except (ServerError, OSError) as exc:
            return {"available": False, "reason": str(exc)}
        try:
            out: dict[str, Any] = {
                "setup": "PostgreSQL 127.0.0.1 (throwaway cluster, fsync off), offline advisor, "
                + ("one `chroma run` server" if self._server else "an embedded store per replica"),
                "cpus": os.cpu_count(),
            }
            convs = conversations([c.turns for c in self.cases], len(self.cases), self.plan.turns_per_session)
            db = Database(cluster.new_database(), timeout=10)
            try:
                stores = {
                    "sqlite": SessionStore(self.tmp / "replicas-sessions.sqlite3"),
                    "postgresql": PostgresSessionStore(db),
                }
                advisors = {
                    name: Advisor(kb, settings=self.local("replicas-turns"), sessions=store) for name, store in stores.items()
                }
                ms: dict[str, list[float]] = {name: [] for name in advisors}
                for name, advisor in advisors.items():
                    advisor.reply(f"warm-{name}", COLD_QUESTION)
                # Turn by turn, alternating which store goes first, so neither gets the warmer caches.
                for rep in range(self.plan.turn_reps):
                    for i, conv in enumerate(convs):
                        for j, message in enumerate(conv):
                            for name in sorted(advisors, reverse=(i + j) % 2 == 1):
                                t = time.perf_counter()
                                advisors[name].reply(f"{name}-{rep}-{i}", message)
                                ms[name].append((time.perf_counter() - t) * 1000)
                out["turn_latency"] = {name: summary(values, samples=False) for name, values in ms.items()}
            finally:
                db.close()

            env = {"PATHWISE_DATABASE_URL": cluster.url}
            if self._server is not None:
                env["PATHWISE_CHROMA_URL"] = self._server.url
            homes = [self.tmp / f"replica-{i}" for i in range(2)]
            for home in homes:
                if self._server is None and (self.tmp / "cold").is_dir() and not home.exists():
                    shutil.copytree(self.tmp / "cold", home)  # a store the cold runs already filled
            sessions = conversations([c.turns for c in self.cases], self.plan.replica_sessions, self.plan.turns_per_session)
            with ServedApp(homes[0], self.cache_dir, env=env) as one:
                out["1_replica"] = self._replica_load([one.url], sessions, "r1", Client)
                with ServedApp(homes[1], self.cache_dir, env=env) as two:
                    out["2_replicas"] = self._replica_load([one.url, two.url], sessions, "r2", Client)
                    out["server_rss_mb"] = [one.rss_mb(), two.rss_mb()]
            return out
        finally:
            cluster.close()

    def _replica_load(self, urls: list[str], convs: list[list[str]], prefix: str, client: Any) -> dict[str, Any]:
        """``convs`` at once through the replicas at ``urls``, each session's turns going to them in turn."""
        import itertools

        clients: dict[str, Any] = {}
        turns: dict[str, Any] = {}
        for i in range(len(convs)):
            own = [client(url, verbose=False, download_files=False) for url in urls]
            for c in own[1:]:
                c.session_hash = own[0].session_hash  # one browser session, no affinity
            clients[f"{prefix}-{i}"] = own
            turns[f"{prefix}-{i}"] = itertools.cycle(own)

        def reply(session: str, message: str) -> str:
            return http_answer(next(turns[session]).predict(message, api_name="/chat"))

        return run_sessions(reply, convs, self.plan.replica_threads, prefix)


# -- the LLM path -----------------------------------------------------------------------------
def measure_llm(settings: Settings, questions: list[str]) -> dict[str, Any]:
    """Turns through the LLM advisor against an instant fake server, and the agent's own overhead.

    The agent searches for each question before the model's first call. In the turns judged, the
    model answers from those passages: one model call. ``with_a_tool_call`` times turns in which
    the model first looks up the fact sheet: two calls. The baseline replays each turn's
    requests, byte for byte as the agent sent them, with a bare ``openai`` client against the
    same server; the overhead is the agent's time minus that, per turn.
    """
    import openai

    from pathwise.bench.servers import FakeLLM

    answer = _llm_answer()
    with FakeLLM(answer) as fake:
        out = _llm_turns(settings, questions, fake)
    with FakeLLM(answer, tool="lookup_facts", argument="topic") as fake:
        looked_up = _llm_turns(settings, questions, fake)
    return {
        "available": True,
        "server": "bench fake OpenAI endpoint on 127.0.0.1, answers instantly, streamed",
        **out,
        "baseline": {**out["baseline"], "client": f"bare openai {openai.__version__} client replaying each turn's requests"},
        "with_a_tool_call": {
            k: looked_up[k] for k in ("turn_modes", "requests_per_turn", "time_to_first_token", "whole_turn", "overhead_ms")
        },
        "answer_words": len(answer.split()),
    }


def _llm_turns(settings: Settings, questions: list[str], fake: Any) -> dict[str, Any]:
    """One advisor's turns against ``fake``, each replayed by a bare client."""
    import openai
    from pydantic import SecretStr

    from pathwise import process
    from pathwise.agent.advisor import Advisor

    llm_settings = settings.model_copy(
        update={"offline": False, "openai_api_key": SecretStr("sk-bench"), "openai_base_url": fake.url, "llm_max_retries": 0}
    )
    advisor = Advisor.create(llm_settings)  # durable, as `pathwise serve` runs it
    client = openai.OpenAI(api_key="sk-bench", base_url=fake.url, max_retries=0)
    sent = fake.requests
    _agent_turn(advisor, "llm-warm-up", questions[0])
    _bare_turn(client, fake.bodies[sent:])
    process.ready()  # as `pathwise serve` is once its page is up
    agent: dict[str, list[float]] = {"first": [], "whole": []}
    bare: dict[str, list[float]] = {"first": [], "whole": []}
    modes, requests = [], []
    for i, q in enumerate(questions):
        sent = fake.requests
        first, whole, mode = _agent_turn(advisor, f"llm-{i}", q)
        modes.append(mode)
        requests.append(fake.requests - sent)
        if first is None:  # an offline fallback streams no tokens: there is nothing to compare
            continue
        bare_first, bare_whole = _bare_turn(client, fake.bodies[sent:])
        agent["first"].append(first)
        agent["whole"].append(whole)
        bare["first"].append(bare_first)
        bare["whole"].append(bare_whole)
    return {
        "advisor_mode": advisor.mode,
        "turn_modes": {m: modes.count(m) for m in sorted(set(modes))},
        "time_to_first_token": summary(agent["first"], samples=False),
        "whole_turn": summary(agent["whole"], samples=False),
        "baseline": {
            "time_to_first_token": summary(bare["first"], samples=False),
            "whole_turn": summary(bare["whole"], samples=False),
        },
        "overhead_ms": _overhead(agent, bare),
        "requests_per_turn": sorted(set(requests)),
        "fake_requests": fake.requests,
    }


def _llm_answer() -> str:
    """Verbatim passages, so the agent's grounding checks pass and the answer is long enough to stream."""
    from pathwise.knowledge.corpus import bundled_article

    passages = bundled_article().passages
    burnout = next(p for p in passages if "hit the wall" in p.text)
    plain = [p for p in passages if not any(ch.isdigit() for ch in p.text) and len(p.text.split()) > 20][:2]
    return " ".join(f"{p.text} [p:{p.id}]" for p in [burnout, *plain])


def _agent_turn(advisor: Advisor, session: str, question: str) -> tuple[float | None, float, str]:
    """(ms to the first token shown, ms to the whole turn, the turn's mode) of one advisor turn.

    The turn ends with its answer; the agent then finishes writing it to memory, untimed, so
    that work does not slow whatever is timed next.
    """
    first, mode = None, ""
    t = time.perf_counter()
    for event in advisor.stream(session, question):
        if event.kind == "token" and first is None:
            first = (time.perf_counter() - t) * 1000
        if event.kind == "turn" and event.turn is not None:
            mode = event.turn.mode
    whole = (time.perf_counter() - t) * 1000
    if advisor.llm is not None:
        advisor.llm.settle(session)
    return first, whole, mode


def _bare_turn(client: Any, bodies: list[dict[str, Any]]) -> tuple[float, float]:
    """(ms to the first answer token, ms to the end) of the same requests made by a bare client, one after another."""
    first = None
    t = time.perf_counter()
    for body in bodies:
        reply = client.chat.completions.create(**body)
        for chunk in reply if body.get("stream") else ():
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = (time.perf_counter() - t) * 1000
    whole = (time.perf_counter() - t) * 1000
    return (whole if first is None else first), whole


def _overhead(agent: dict[str, list[float]], bare: dict[str, list[float]]) -> dict[str, Any]:
    """The agent's time minus the bare client's, turn by turn (``figures.targets`` judges the p50s)."""
    return {
        name: summary([a - b for a, b in zip(agent[key], bare[key])], samples=False)
        for key, name in (("first", "time_to_first_token"), ("whole", "whole_turn"))
    }


# -- helpers ----------------------------------------------------------------------------------
def _load_avg() -> list[float] | None:
    """Other work on the machine skews every figure; the load average says how much there was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _own_cpu_s() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return times.user + times.system


def _wall_ms(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=60, env=child_env())
    return round((time.perf_counter() - t) * 1000, 1)


def _import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120, env=child_env())
    return round(float(done.stdout.strip().splitlines()[-1]), 1)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _median_dict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Field-wise median of numeric fields over repeated runs."""
    out: dict[str, Any] = {"runs": len(rows)}
    for key, value in rows[0].items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            out[key] = all(r[key] for r in rows) if isinstance(value, bool) else value
        else:
            out[key] = round(_median([float(r[key]) for r in rows]), 1)
    return out


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _http_reply(clients: dict[str, Any], endpoint: str) -> Callable[[str, str], str]:
    def reply(session: str, message: str) -> str:
        return http_answer(clients[session].predict(message, api_name=endpoint))

    return reply


def endpoints(client: Any) -> list[str]:
    info = client.view_api(print_info=False, return_format="dict") or {}
    return sorted(info.get("named_endpoints", {}))


def pick_endpoint(client: Any) -> str | None:
    names = endpoints(client)
    return next((name for name in HTTP_ENDPOINTS if name in names), None)


def http_answer(result: Any) -> str:
    """The answer text in whatever an endpoint returns: a string, a tuple of outputs, a chat history."""
    if isinstance(result, str):
        return result
    if isinstance(result, dict):
        if result.get("role", "assistant") != "assistant":
            return ""
        return http_answer(result.get("answer") or result.get("content") or result.get("text") or "")
    if isinstance(result, list | tuple):
        for item in result:
            text = http_answer(item)
            if text.strip():
                return text
    return ""
