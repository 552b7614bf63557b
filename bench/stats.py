"""Latency summaries and the machine a run happened on."""

from __future__ import annotations

import math
import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

PACKAGES = (
    "pathwise",
    "chromadb",
    "onnxruntime",
    "tokenizers",
    "numpy",
    "bm25s",
    "langchain-text-splitters",
    "gradio",
    "gradio_client",
    "langchain-openai",
    "langgraph",
    "openai",
    "pydantic",
    "psutil",
    "matplotlib",
)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), without numpy."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(values_ms: list[float], *, samples: bool = True) -> dict[str, Any]:
    """n, p50, p95, mean and max in ms; ``None`` for each figure when there are no values (JSON has no NaN)."""
    if not values_ms:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
    out: dict[str, Any] = {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "mean_ms": round(sum(values_ms) / len(values_ms), 2),
        "max_ms": round(max(values_ms), 2),
    }
    if samples:
        out["samples_ms"] = [round(v, 2) for v in values_ms]
    return out


def machine() -> dict[str, Any]:
    import psutil

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        model = platform.processor()
    return {
        "cpu_model": model or platform.processor() or "unknown",
        "cpus": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def now() -> datetime:
    return datetime.now(UTC).astimezone()
