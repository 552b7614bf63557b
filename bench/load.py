"""Simultaneous conversations against any ``reply(session_id, message)``: latency, throughput, errors."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from pathwise.bench.stats import summary

FOLLOW_UPS = ("And for automation specialists?", "Why is that?", "What about after three years?")


def conversations(starters: list[list[str]], count: int, turns: int) -> list[list[str]]:
    """``count`` conversations of ``turns`` messages: dev-set openings, then generic follow-ups."""
    out = []
    for i in range(count):
        opening = starters[i % len(starters)]
        extra = [FOLLOW_UPS[(i + j) % len(FOLLOW_UPS)] for j in range(max(0, turns - len(opening)))]
        out.append((opening + extra)[:turns])
    return out


def run_sessions(reply: Callable[[str, str], Any], convs: list[list[str]], threads: int, prefix: str) -> dict[str, Any]:
    """Run each conversation in its own session; ``threads`` of them at a time, all released together.

    A turn is an error if ``reply`` raises or answers with empty text.
    """
    work: queue.SimpleQueue[tuple[int, list[str]]] = queue.SimpleQueue()
    for item in enumerate(convs):
        work.put(item)
    threads = max(1, min(threads, len(convs)))
    start = threading.Barrier(threads + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        start.wait()
        while True:
            try:
                index, messages = work.get_nowait()
            except queue.Empty:
                return
            for message in messages:
                t = time.perf_counter()
                try:
                    turn = reply(f"{prefix}-{index}", message)
                    answer = turn if isinstance(turn, str) else getattr(turn, "answer", "")
                    problem = None if isinstance(answer, str) and answer.strip() else "empty answer"
                except Exception as exc:  # a benchmark counts failures instead of stopping at the first
                    problem = f"{type(exc).__name__}: {exc}"
                elapsed = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem[:200])

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    wall = time.perf_counter() - began
    return {
        "sessions": len(convs),
        "concurrent": threads,
        "turns": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "wall_s": round(wall, 3),
        "throughput_turns_per_s": round(len(latencies) / wall, 1) if wall > 0 else None,
        "latency": summary(latencies, samples=False),
    }
