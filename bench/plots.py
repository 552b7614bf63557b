"""PNG plots of a benchmark result: latency vs corpus size, recall by method, latency distribution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

METHOD_LABELS = {
    "naive_1000_200_dense": "naive 1000/200\ndense only",
    "bm25_only": "BM25 only\n(hand-rolled)",
    "bm25s_only": "BM25 only\n(bm25s)",
    "pathwise": "pathwise\nhybrid",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def latency_vs_size(scaling: list[dict[str, Any]], path: Path, subtitle: str) -> Path | None:
    rows = [r for r in scaling if "search" in r]
    if not rows:
        return None
    plt = _pyplot()
    sizes = [r["passages"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(sizes, [r["search"]["p50_ms"] for r in rows], "o-", label="search p50")
    ax.plot(sizes, [r["search"]["p95_ms"] for r in rows], "s--", label="search p95")
    ax.plot(sizes, [r["query_embed"]["p50_ms"] for r in rows], ".:", label="query embedding p50")
    ax.plot(sizes, [r["dense_query"]["p50_ms"] for r in rows], ".:", label="Chroma dense query p50")
    ax.axhline(15, color="grey", lw=0.8, ls="--")
    ax.annotate("target: p50 < 15 ms at 10k", (sizes[0], 15), textcoords="offset points", xytext=(2, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("passages in the store (article + synthetic distractors)")
    ax.set_ylabel("ms")
    ax.set_title(f"Search latency vs corpus size\n{subtitle}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def recall_by_method(baselines: dict[str, Any], path: Path, subtitle: str) -> Path | None:
    methods = [m for m in METHOD_LABELS if isinstance(baselines.get(m), dict)]
    if not methods:
        return None
    plt = _pyplot()
    ks = ("recall@1", "recall@3", "recall@5", "mrr")
    width = 0.8 / len(ks)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for j, key in enumerate(ks):
        xs = [i + (j - (len(ks) - 1) / 2) * width for i in range(len(methods))]
        values = [baselines[m].get(key, 0.0) for m in methods]
        bars = ax.bar(xs, values, width, label=key.upper() if key == "mrr" else key)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks(range(len(methods)), [METHOD_LABELS[m] for m in methods], fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(f"share of {baselines.get('cases', '?')} dev questions")
    ax.set_title(f"Retrieval quality by method\n{subtitle}", fontsize=10)
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def latency_distribution(series: dict[str, list[float]], path: Path, subtitle: str) -> Path | None:
    series = {k: v for k, v in series.items() if v}
    if not series:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    top = max(max(v) for v in series.values())
    bins = [top * i / 40 for i in range(41)]
    for label, values in series.items():
        ax.hist(values, bins=bins, alpha=0.55, label=f"{label} (n={len(values)})")
    ax.set_xlabel("ms")
    ax.set_ylabel("count")
    ax.set_title(f"Warm latency distribution\n{subtitle}", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
