"""What a benchmark run shows a person: the printed tables and the PNG plots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pathwise.bench.figures import PROJECT_TO, measured_rows

METHODS = (
    ("naive_1000_200_dense", "naive 1000/200, dense only"),
    ("bm25_only", "BM25 only (pathwise's)"),
    ("bm25s_only", "BM25 only (bm25s library)"),
    ("pathwise", "pathwise hybrid"),
)
COLD_STEPS = (
    ("interpreter start + exit", "interpreter_and_exit_ms"),
    ("imports", "imports_ms"),
    ("model load", "model_load_ms"),
    ("store open", "store_open_ms"),
    ("first answer", "first_answer_ms"),
    ("whole process", "process_wall_ms"),
    ("peak RSS (MB)", "peak_rss_mb"),
)

Sections = dict[str, Any]


def write_plots(result: dict[str, Any], base: Path) -> list[str]:
    from pathwise.bench import plots

    sections = result["sections"]
    m = result["machine"]
    subtitle = f"{result['date'][:16].replace('T', ' ')} · {m['cpu_model']} · {m['cpus']} CPUs"
    turns = sections.get("turns", {})
    series = {
        "search (article store)": sections.get("search", {}).get("samples_ms", []),
        "offline turn, fresh session": turns.get("fresh_session", {}).get("samples_ms", []),
        "offline turn, follow-up": turns.get("follow_up", {}).get("samples_ms", []),
    }
    written = [
        plots.latency_vs_size(measured_rows(sections), Path(f"{base}-latency-vs-size.png"), subtitle),
        plots.recall_by_method(sections.get("baselines", {}), Path(f"{base}-recall-by-method.png"), subtitle),
        plots.latency_distribution(series, Path(f"{base}-latency-distribution.png"), subtitle),
    ]
    return [str(p) for p in written if p is not None]


def format_report(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"pathwise bench ({result['mode']}) — {result['date']} — {m['cpu_model']}, {m['cpus']} CPUs, "
        f"{m['ram_gb']} GB RAM, Python {m['python']} — {result['elapsed_s']} s",
        f"load average (1/5/15 min) at start {m.get('load_avg_at_start')}, at end {m.get('load_avg_at_end')}",
    ]
    rows = [
        [
            t["check"],
            t["target"],
            _fmt(t["measured"], f" {t['unit']}" if t["unit"] else ""),
            {True: "met", False: "MISSED", None: "not measured"}[t["met"]],
        ]
        for t in result["targets"]
    ]
    lines += _table("Targets", ["check", "target", "measured", ""], rows)
    parts: list[Callable[[Sections], list[str]]] = [
        _warm,
        _cold,
        _baselines,
        _ingest,
        _scaling,
        _concurrency,
        _store_modes,
        _beyond,
        _replicas,
    ]
    for part in parts:
        lines += part(result["sections"])
    lines += _projections(result.get("projections", {}))
    failed = [name for name, v in result["sections"].items() if isinstance(v, dict) and "error" in v]
    if failed:
        lines.append(f"\nSections that failed: {', '.join(failed)} (details in the JSON)")
    lines.append(f"\nResults: {result['files']['json']}")
    lines += [f"Plot: {p}" for p in result["files"]["plots"]]
    return "\n".join(lines)


# -- sections -------------------------------------------------------------------------------
def _lat(name: str, node: Any) -> list[Any]:
    if not isinstance(node, dict) or node.get("p50_ms") is None:
        return [name, "—", "—", "—"]
    return [name, node["p50_ms"], node["p95_ms"], node["n"]]


def _warm(s: Sections) -> list[str]:
    turns = s.get("turns", {})
    rows = [
        _lat(f"search, article store ({s.get('search', {}).get('passages', '?')} passages)", s.get("search")),
        _lat("offline turn, all", turns.get("all")),
        _lat("offline turn, fresh session", turns.get("fresh_session")),
        _lat("offline turn, follow-up", turns.get("follow_up")),
        _lat("offline turn, durable SQLite sessions", turns.get("durable_sessions")),
    ]
    llm = s.get("llm", {})
    if llm.get("available"):
        bare, overhead = llm.get("baseline", {}), llm.get("overhead_ms", {})
        rows += [
            _lat("LLM turn (instant fake server): first token", llm.get("time_to_first_token")),
            _lat("LLM turn (instant fake server): whole turn", llm.get("whole_turn")),
            _lat("  bare openai client, same requests: first token", bare.get("time_to_first_token")),
            _lat("  bare openai client, same requests: whole turn", bare.get("whole_turn")),
            _lat("  agent overhead: first token", overhead.get("time_to_first_token")),
            _lat("  agent overhead: whole turn", overhead.get("whole_turn")),
        ]
        if tool := llm.get("with_a_tool_call"):
            rows += [
                _lat("LLM turn, model calls lookup_facts first: whole turn", tool.get("whole_turn")),
                _lat("  agent overhead: first token", tool.get("overhead_ms", {}).get("time_to_first_token")),
                _lat("  agent overhead: whole turn", tool.get("overhead_ms", {}).get("whole_turn")),
            ]
    lines = _table("Warm latency (ms)", ["", "p50", "p95", "n"], rows)
    if llm and not llm.get("available"):
        lines.append(f"  LLM path: not measured ({llm.get('reason') or llm.get('error')})")
    elif llm.get("turn_modes", {}).get("offline"):
        lines.append(f"  LLM path: {llm['turn_modes']['offline']} of the turns fell back to offline mode")
    return lines


def _cold(s: Sections) -> list[str]:
    cold = s.get("cold", {})
    if "first_run_empty_store" not in cold:
        return [f"\nCold start: {cold.get('error')}"] if cold else []
    ready, first = cold.get("split", {}), cold["first_run_empty_store"]
    rows = [[step, ready.get(key), first.get(key)] for step, key in COLD_STEPS]
    lines = _table("Cold start, step by step in a fresh process (ms)", ["", "store ready", "empty store"], rows)
    ask = cold.get("ask", {})
    if ask.get("available"):
        lines.append(f"  `pathwise ask --offline`: p50 {_fmt(ask.get('p50_s'), ' s')} over {ask.get('runs', 0)} runs")
        if ask.get("first_after_a_write_s") is not None:
            lines.append(
                f"  the first ask after a write (opens Chroma, leaves the store's copy): {_fmt(ask['first_after_a_write_s'], ' s')}"
            )
        lines += [f"  failed run: {f}" for f in ask.get("failures", [])]
    else:
        lines.append(f"  `pathwise ask`: not measured ({ask.get('reason')})")
    return lines


def _baselines(s: Sections) -> list[str]:
    b = s.get("baselines", {})
    if "error" in b:
        return [f"\nRetrieval baselines: {b['error']}"]
    keys = ("recall@1", "recall@3", "recall@5", "mrr", "p50_ms")
    rows = [[label, *(b[k].get(key) for key in keys)] for k, label in METHODS if isinstance(b.get(k), dict)]
    title = f"Retrieval on the dev set ({b.get('cases', '?')} questions, top 5 of the article's passages)"
    return _table(title, ["method", "R@1", "R@3", "R@5", "MRR", "p50 ms"], rows)


def _ingest(s: Sections) -> list[str]:
    ing = s.get("ingest", {})
    if "passages_per_s" not in ing:
        return [f"\nIngest: {ing['error']}"] if "error" in ing else []
    again = ing["reingest"]
    lines = [
        f"\nIngest: {ing['passages_per_s']} passages/s ({ing['passages']} synthetic passages in {ing['s']} s, "
        f"embedding included); the same file again: {again['s']} s, {again['changed']} changes, "
        f"idempotent: {again['idempotent']}"
    ]
    setup = ing.get("article_at_setup") or {}
    if setup:
        lines.append(
            f"  first open with the article ({setup.get('passages')} passages, model load included): "
            f"{setup.get('open_with_article_ingest_s')} s"
        )
    return lines


def _scaling(s: Sections) -> list[str]:
    scaling = s.get("scaling")
    if isinstance(scaling, dict):
        return [f"\nScaling: {scaling.get('error')}"]
    if not scaling:
        return []
    rows = [
        [
            f"{r['passages']:,}",
            r["search"]["p50_ms"],
            r["search"]["p95_ms"],
            r["dense_query"]["p50_ms"],
            r["recall@3"],
            r["peak_rss_mb"],
            r["disk_mb"],
            r["open_s"],
        ]
        for r in scaling
        if "search" in r
    ]
    header = ["passages", "p50 ms", "p95 ms", "dense p50", "R@3", "peak RSS MB", "disk MB", "open s"]
    lines = _table("Scaling: the article among synthetic distractors (search, fresh process per size)", header, rows)
    return lines + [f"  {r['distractors']:,} distractors: {r['skipped']}" for r in scaling if "skipped" in r]


def _concurrency(s: Sections) -> list[str]:
    rows = []
    for name, label in (("concurrency", "Advisor threads"), ("http", "web app over HTTP")):
        for n, r in (s.get(name) or {}).items():
            if isinstance(r, dict) and "turns" in r:
                lat = r["latency"]
                throughput = r["throughput_turns_per_s"]
                cpu = r.get("cpu_ms_per_turn")
                if "server_cpu_ms_per_turn" in r:
                    cpu = f"{_fmt(r['server_cpu_ms_per_turn'])} app + {_fmt(r['client_cpu_ms_per_turn'])} client"
                rows.append([f"{label} × {n}", r["turns"], throughput, lat["p50_ms"], lat["p95_ms"], r["errors"], cpu])
    lines = _table("Simultaneous sessions", ["", "turns", "turns/s", "p50 ms", "p95 ms", "errors", "CPU ms/turn"], rows)
    http = s.get("http", {})
    if http.get("serve_ready_s"):
        lines.append(f"  `pathwise serve` ready after {http['serve_ready_s']} s; app RSS {http.get('server_rss_mb')} MB")
    if http and not http.get("available", True):
        lines.append(f"  web app: not measured ({http.get('reason')})")
    elif "error" in http:
        lines.append(f"  web app: {http['error']}")
    return lines


def _store_modes(s: Sections) -> list[str]:
    modes = s.get("store_modes", {})
    if "embedded" not in modes:
        return [f"\nChroma server mode: {modes.get('reason') or modes.get('error')}"] if modes else []
    rows = [
        [
            name,
            modes[name]["ingest_s"],
            modes[name]["load_all_passages_s"],
            modes[name]["search"]["p50_ms"],
            modes[name]["dense_query"]["p50_ms"],
        ]
        for name in ("embedded", "server")
    ]
    title = f"Chroma embedded vs `chroma run` server ({modes['embedded']['passages']:,} passages, vectors precomputed)"
    return _table(title, ["", "ingest s", "load all s", "search p50", "dense p50"], rows)


def _beyond(s: Sections) -> list[str]:
    beyond = s.get("beyond", {})
    rows = [
        [k.replace("_", " "), r["turns"], r["throughput_turns_per_s"], max(r["p95_ms"]), r["errors"]]
        for k, r in beyond.items()
        if isinstance(r, dict) and "turns" in r
    ]
    if not rows:
        return [f"\nBeyond one machine: {beyond.get('reason') or beyond.get('error')}"] if beyond else []
    title = "Beyond one machine: app processes sharing one Chroma server and one session database"
    lines = _table(title, ["", "turns", "turns/s", "p95 ms", "errors"], rows)
    handoff = beyond.get("2_processes", {}).get("shared_session")
    if handoff:
        lines.append(
            f"  one session handed A→B→A: history lengths seen {handoff['seen_history']} "
            f"(coherent would be {handoff['expected_history']})"
        )
    return lines


def _replicas(s: Sections) -> list[str]:
    rep = s.get("replicas", {})
    rows = [
        [k.replace("_", " "), r["concurrent"], r["turns"], r["throughput_turns_per_s"], r["latency"]["p95_ms"], r["errors"]]
        for k, r in rep.items()
        if isinstance(r, dict) and "turns" in r
    ]
    if not rows:
        return [f"\nReplicas on PostgreSQL: {rep.get('reason') or rep.get('error')}"] if rep else []
    title = f"Replicas: `pathwise serve` x N on one PostgreSQL, sessions alternating between them ({rep.get('cpus')} CPUs)"
    lines = _table(title, ["", "at once", "turns", "turns/s", "p95 ms", "errors"], rows)
    latency = rep.get("turn_latency", {})
    if latency:
        lines.append(
            "  one offline turn, its session saved in SQLite vs PostgreSQL: p50 "
            + ", ".join(f"{k} {v['p50_ms']} ms" for k, v in latency.items())
            + "; p95 "
            + ", ".join(f"{k} {v['p95_ms']} ms" for k, v in latency.items())
        )
    return lines


def _projections(proj: dict[str, Any]) -> list[str]:
    if "search_p50_ms" not in proj:
        return []
    values = ", ".join(f"{k} ≈ {v['value']:,}" for k, v in proj.items() if isinstance(v, dict))
    lines = [f"\nPROJECTED (not measured) to {PROJECT_TO:,} passages — {proj['method']}:", f"  {values}"]
    if "embed_hours_at_measured_rate" in proj:
        lines.append(f"  embedding {PROJECT_TO:,} passages at the measured rate ≈ {proj['embed_hours_at_measured_rate']} h")
    if "ingest_hours_at_measured_rate" in proj:
        lines.append(
            f"  `pathwise ingest` of {PROJECT_TO:,} passages at the measured rate ≈ {proj['ingest_hours_at_measured_rate']} h"
        )
    if "caveat" in proj:
        lines.append(f"  caveat: {proj['caveat']}")
    return lines


# -- layout ---------------------------------------------------------------------------------
def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}" if abs(value) < 100 else f"{value:,.0f}{unit}"
    return f"{value}{unit}"


def _table(title: str, header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [list(header)] + [[c if isinstance(c, str) else _fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["", title]
    for n, r in enumerate(cells):
        lines.append("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    return lines
