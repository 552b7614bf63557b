"""Benchmark work that needs a process of its own: a clean cold start, a clean peak RSS, or a
second app process beside the first.

    python -m pathwise.bench.worker TASK  < args.json

``cold``, ``scale-build``, ``scale-measure`` and ``llm`` read one JSON object on stdin and print
one JSON object as the last line of stdout. ``advisor`` is a small command loop (one JSON request a
line in, one JSON reply a line out) so the parent can drive several app processes at once.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import json  # noqa: E402 - the clock above starts before any import we time
import sys  # noqa: E402
from typing import Any  # noqa: E402


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _peak_rss_mb() -> float:
    """This process's own peak RSS.

    Linux carries ``ru_maxrss`` over from the parent through fork and exec, so a child of a big
    benchmark process would report the parent's peak; ``VmHWM`` belongs to the new address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def cold(args: dict[str, Any]) -> dict[str, Any]:
    """The steps of ``pathwise ask --offline`` one by one, timed (mirrors ``KnowledgeBase.open``)."""
    t0 = time.perf_counter()
    from pathlib import Path

    import chromadb  # noqa: F401 - imported here to time it, as the store would
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401

    from pathwise.agent.advisor import Advisor
    from pathwise.agent.sessions import SessionStore
    from pathwise.config import Settings
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.embeddings import load_embedder
    from pathwise.knowledge.facts import bundled_facts
    from pathwise.knowledge.retrieval import HybridRetriever
    from pathwise.knowledge.store import Store

    t1 = time.perf_counter()
    settings = Settings(home=Path(args["home"]), cache_dir=Path(args["cache_dir"]), chroma_url=None, offline=True)
    embedder = load_embedder(Path(settings.cache_dir))
    t2 = time.perf_counter()
    store = Store(settings, embedder)
    kb = KnowledgeBase(store, HybridRetriever(store), bundled_facts())
    kb.ensure_bundled()
    t3 = time.perf_counter()
    sessions = SessionStore(Path(settings.home) / "sessions.sqlite3", max_sessions=settings.max_sessions)
    advisor = Advisor(kb, settings=settings, sessions=sessions)
    turn = advisor.reply("bench-cold", args["question"])
    t4 = time.perf_counter()
    return {
        "before_main_ms": _ms(t0 - _STARTED),
        "imports_ms": _ms(t1 - t0),
        "model_load_ms": _ms(t2 - t1),
        "store_open_ms": _ms(t3 - t2),
        "first_answer_ms": _ms(t4 - t3),
        "in_process_ms": _ms(t4 - _STARTED),
        "answered": bool(turn.answer.strip()),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _scale_store(args: dict[str, Any]) -> Any:
    from pathlib import Path

    from pathwise.bench.synthetic import CachedEmbedder, VectorCache
    from pathwise.config import Settings
    from pathwise.knowledge.store import Store

    settings = Settings(home=Path(args["home"]), cache_dir=Path(args["cache_dir"]), chroma_url=args.get("chroma_url"))
    embedder = CachedEmbedder(VectorCache(Path(args["vectors"])), cache_dir=Path(args["cache_dir"]))
    return Store(settings, embedder)


def scale_build(args: dict[str, Any]) -> dict[str, Any]:
    """Fill a fresh store with the article and ``n`` distractors from precomputed vectors."""
    from pathwise.bench.synthetic import SOURCE, distractors
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.facts import bundled_facts
    from pathwise.knowledge.retrieval import HybridRetriever

    store = _scale_store(args)
    passages = distractors(args["n"], args["seed"], args.get("avoid", []))
    KnowledgeBase(store, HybridRetriever(store), bundled_facts()).ensure_bundled()
    started = time.perf_counter()
    changed = store.ingest(SOURCE, passages)
    elapsed = time.perf_counter() - started
    return {
        "write_s": round(elapsed, 3),
        "write_passages_per_s": round(len(passages) / elapsed, 1) if elapsed > 0 else None,
        "added": changed["added"],
        "count": store.count(),
        "peak_rss_mb": _peak_rss_mb(),
    }


def scale_measure(args: dict[str, Any]) -> dict[str, Any]:
    """Open the store as the app does, then time searches and score the gold passages' ranks."""
    from pathlib import Path

    from pathwise.bench.evaluate import rank_metrics
    from pathwise.bench.stats import summary
    from pathwise.config import Settings
    from pathwise.knowledge.base import KnowledgeBase

    settings = Settings(home=Path(args["home"]), cache_dir=Path(args["cache_dir"]), chroma_url=args.get("chroma_url"))
    started = time.perf_counter()
    kb = KnowledgeBase.open(settings)
    kb.search("warm up", 1)  # the BM25 index is built on the first search
    open_s = time.perf_counter() - started
    queries, spans = args["queries"], args["spans"]
    ranked = [[h.text for h in kb.search(q, 5)] for q in queries]
    search, embed, dense = [], [], []
    for _ in range(args["reps"]):
        for q in queries:
            t = time.perf_counter()
            kb.search(q, 5)
            search.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            vector = kb.store.embedder.embed([q])[0]
            embed.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            kb.store.dense(vector, 50)
            dense.append((time.perf_counter() - t) * 1000)
    return {
        "passages": kb.store.count(),
        "open_s": round(open_s, 3),
        "search": summary(search, samples=False),
        "query_embed": summary(embed, samples=False),
        "dense_query": summary(dense, samples=False),
        **rank_metrics(ranked, spans),
        "rss_mb": _rss_mb(),
        "peak_rss_mb": _peak_rss_mb(),
    }


def advisor_loop(args: dict[str, Any]) -> None:
    """An app process: one Advisor (offline, durable sessions), driven by JSON lines on stdin."""
    from pathlib import Path

    from pathwise.agent.advisor import Advisor
    from pathwise.bench.load import run_sessions
    from pathwise.config import Settings

    settings = Settings(
        home=Path(args["home"]), cache_dir=Path(args["cache_dir"]), chroma_url=args.get("chroma_url"), offline=True
    )
    started = time.perf_counter()
    advisor = Advisor.create(settings, offline=True, durable=True)
    advisor.reply("bench-warm-up", "When do AI engineers burn out?")
    _say({"ready": True, "open_s": round(time.perf_counter() - started, 3), "rss_mb": _rss_mb()})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "quit":
            break
        if op == "load":
            _say(run_sessions(advisor.reply, request["conversations"], request["threads"], request["prefix"]))
        elif op == "reply":
            t = time.perf_counter()
            turn = advisor.reply(request["session"], request["message"])
            _say(
                {
                    "latency_ms": _ms(time.perf_counter() - t),
                    "history": len(advisor.history(request["session"])),
                    "answer": turn.answer,
                }
            )
        else:
            _say({"error": f"unknown op {op!r}"})
    _say({"bye": True, "peak_rss_mb": _peak_rss_mb()})


def _say(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def llm(args: dict[str, Any]) -> dict[str, Any]:
    """The bench's LLM section, in a process with nothing else in it (as `pathwise serve` would be)."""
    from pathwise.bench.bench import measure_llm
    from pathwise.config import Settings

    return measure_llm(Settings(**args["settings"]), args["questions"])


TASKS = {"cold": cold, "scale-build": scale_build, "scale-measure": scale_measure, "llm": llm}


def main(argv: list[str]) -> int:
    import logging

    logging.basicConfig(level=logging.ERROR)
    if len(argv) != 1 or argv[0] not in (*TASKS, "advisor"):
        sys.stderr.write(f"usage: python -m pathwise.bench.worker {{{','.join((*TASKS, 'advisor'))}}} < args.json\n")
        return 2
    if argv[0] == "advisor":
        advisor_loop(json.loads(sys.stdin.readline()))
        return 0
    _say(TASKS[argv[0]](json.load(sys.stdin)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
