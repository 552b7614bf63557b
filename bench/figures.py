"""Figures derived from a run: the headline numbers, the issue's targets, projections to 1M passages."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

PROJECT_TO = 1_000_000
TARGETS = {
    "offline_turn_p50_ms": 25.0,
    "search_p50_ms_10k": 15.0,
    "cold_ask_s": 1.5,
    "errors_at_50": 0,
    "recall_at_3_margin": 0.3,
    "llm_overhead_p50_ms": 30.0,
}


def measured_rows(sections: dict[str, Any]) -> list[dict[str, Any]]:
    rows = sections.get("scaling")
    return [r for r in rows if "search" in r] if isinstance(rows, list) else []


def fit_power_law(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares power law y = a * x**b through the points (log-log)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    var = sum((x - mx) ** 2 for x in lx)
    b = sum((x - mx) * (y - my) for x, y in zip(lx, ly)) / var if var else 0.0
    return math.exp(my - b * mx), b


def projections(sections: dict[str, Any]) -> dict[str, Any]:
    """Each figure extrapolated to 1M passages along the power law through the two largest sizes measured.

    The two largest sizes, not all of them: small corpora hide the costs that grow linearly
    (the BM25 postings, loading every passage at start), so a fit through them runs too low.
    """
    rows = sorted(measured_rows(sections), key=lambda r: r["passages"])[-2:]
    if len(rows) < 2:
        return {"projected": True, "available": False, "reason": "needs at least two measured corpus sizes"}
    xs = [float(r["passages"]) for r in rows]
    out: dict[str, Any] = {
        "projected": True,
        "passages": PROJECT_TO,
        "method": f"power law through the two largest sizes measured ({int(xs[0]):,} and {int(xs[1]):,} passages)",
    }
    metrics: dict[str, Callable[[dict[str, Any]], float]] = {
        "search_p50_ms": lambda r: r["search"]["p50_ms"],
        "search_p95_ms": lambda r: r["search"]["p95_ms"],
        "dense_query_p50_ms": lambda r: r["dense_query"]["p50_ms"],
        "open_s": lambda r: r["open_s"],
        "peak_rss_mb": lambda r: r["peak_rss_mb"],
        "disk_mb": lambda r: r["disk_mb"],
    }
    for name, get in metrics.items():
        ys = [float(get(r)) for r in rows]
        if all(y > 0 for y in ys):
            a, b = fit_power_law(xs, ys)
            if b < 0:  # nothing here shrinks as the corpus grows: a falling fit is noise, so hold it flat
                a, b = max(ys), 0.0
            out[name] = {"value": round(a * PROJECT_TO**b, 1), "exponent": round(b, 2)}
    rates = [
        r["vectors"]["embed_passages_per_s"] for r in measured_rows(sections) if r.get("vectors", {}).get("embed_passages_per_s")
    ]
    if rates:
        out["embed_hours_at_measured_rate"] = round(PROJECT_TO / max(rates) / 3600, 1)
    ingest_rate = (sections.get("ingest") or {}).get("passages_per_s")
    if ingest_rate:
        out["ingest_hours_at_measured_rate"] = round(PROJECT_TO / ingest_rate / 3600, 1)
    if xs[1] < 100_000:
        out["caveat"] = "the largest corpus measured is small; `pathwise bench --full` projects from 100k passages"
    return out


def headline(sections: dict[str, Any]) -> dict[str, Any]:
    def get(*path: str) -> Any:
        node: Any = sections
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    runs = [r for name in ("concurrency", "http", "beyond") for r in (get(name) or {}).values() if isinstance(r, dict)]
    errors = [r["errors"] for r in runs if "errors" in r]
    at_10k = next((r["search"]["p50_ms"] for r in measured_rows(sections) if r["distractors"] == 10_000), None)
    return {
        "search_p50_ms": get("search", "p50_ms"),
        "search_p50_ms_10k": at_10k,
        "offline_turn_p50_ms": get("turns", "all", "p50_ms"),
        "cold_ask_s": get("cold", "ask", "p50_s"),
        "concurrency_errors": sum(errors) if errors else None,
        "recall_at_3": get("baselines", "pathwise", "recall@3"),
        "naive_recall_at_3": get("baselines", "naive_1000_200_dense", "recall@3"),
        "bm25_recall_at_3": get("baselines", "bm25_only", "recall@3"),
        "llm_first_token_overhead_p50_ms": get("llm", "overhead_ms", "time_to_first_token", "p50_ms"),
        "llm_whole_turn_overhead_p50_ms": get("llm", "overhead_ms", "whole_turn", "p50_ms"),
    }


def targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    h = headline(sections)
    at_50 = [
        sections.get(name, {}).get("50", {}).get("errors")
        for name in ("concurrency", "http")
        if isinstance(sections.get(name, {}).get("50"), dict)
    ]
    margin = (
        round(h["recall_at_3"] - h["naive_recall_at_3"], 3)
        if h["recall_at_3"] is not None and h["naive_recall_at_3"] is not None
        else None
    )

    def row(name: str, target: str, value: Any, unit: str, ok: Callable[[Any], bool]) -> dict[str, Any]:
        met = None if value is None else ok(value)
        return {"check": name, "target": target, "measured": value, "unit": unit, "met": met}

    t = TARGETS
    return [
        row("warm offline turn p50", "< 25 ms", h["offline_turn_p50_ms"], "ms", lambda v: v < t["offline_turn_p50_ms"]),
        row("search p50 at 10k passages", "< 15 ms", h["search_p50_ms_10k"], "ms", lambda v: v < t["search_p50_ms_10k"]),
        row("cold `pathwise ask --offline`", "≤ 1.5 s", h["cold_ask_s"], "s", lambda v: v <= t["cold_ask_s"]),
        row("errors at 50 concurrent sessions", "0", sum(at_50) if at_50 else None, "", lambda v: v == t["errors_at_50"]),
        row("recall@3 pathwise − naive", "≥ 0.30", margin, "", lambda v: v >= t["recall_at_3_margin"] - 1e-9),
        row(
            "LLM agent overhead p50, first token",
            "≤ 30 ms",
            h["llm_first_token_overhead_p50_ms"],
            "ms",
            lambda v: v <= t["llm_overhead_p50_ms"],
        ),
        row(
            "LLM agent overhead p50, whole turn",
            "≤ 30 ms",
            h["llm_whole_turn_overhead_p50_ms"],
            "ms",
            lambda v: v <= t["llm_overhead_p50_ms"],
        ),
    ]
