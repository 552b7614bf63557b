"""`pathwise bench` keeps working: its parts on made-up inputs, and the quick logic end to end on a
tiny plan (a slow test adds scaling, Chroma server mode and two app processes on tiny corpora)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pathwise.bench import bench, figures
from pathwise.bench.evaluate import load_cases
from pathwise.bench.load import conversations, run_sessions
from pathwise.bench.stats import percentile
from pathwise.bench.synthetic import CachedEmbedder, VectorCache, as_article, distractors, stream
from pathwise.config import Settings

HEADLINE = ("search_p50_ms", "offline_turn_p50_ms", "cold_ask_s", "concurrency_errors", "recall_at_3", "naive_recall_at_3")

TINY = replace(
    bench.QUICK,
    name="tiny",
    search_reps=1,
    turn_reps=1,
    cold_reps=1,
    split_reps=0,
    ingest_passages=20,
    concurrency=(10, 50),
    http_concurrency=(),  # the web app and the LLM path are exercised in the slow test below
    turns_per_session=2,
    llm_turns=0,
)


# -- parts ----------------------------------------------------------------------------------
def test_distractors_are_deterministic_and_each_size_is_a_prefix_of_the_next() -> None:
    small, large = distractors(50, seed=3), distractors(120, seed=3)
    assert [p.id for p in small] == [p.id for p in large[:50]]
    assert [p.text for p in distractors(50, seed=3)] == [p.text for p in small]
    assert distractors(50, seed=4)[0].text != small[0].text
    assert len({p.id for p in large}) == 120


def test_distractors_never_contain_a_gold_span() -> None:
    first = next(stream(seed=11))
    span = " ".join(first.text.split()[2:6])  # a phrase the generator is known to produce
    assert all(span.lower() not in p.text.lower() for p in distractors(200, seed=11, avoid=[span]))


def test_a_synthetic_article_keeps_every_passage_text() -> None:
    passages = distractors(12, seed=5)
    text = as_article(passages)
    assert all(p.text in text for p in passages)
    assert all(p.section in text for p in passages)


def test_the_vector_cache_embeds_only_what_is_missing_and_survives_a_reload(tmp_path: Path) -> None:
    import numpy as np

    class Counting:
        calls: list[list[str]] = []

        def embed(self, texts: list[str]) -> Any:
            self.calls.append(list(texts))
            return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    model = Counting()
    cache = VectorCache(tmp_path / "v.npz")
    cache.fill(["a", "bb"], model)  # type: ignore[arg-type]
    cache.fill(["a", "bb", "ccc"], model)  # type: ignore[arg-type]
    assert model.calls == [["a", "bb"], ["ccc"]]
    cache.save()
    again = CachedEmbedder(VectorCache(tmp_path / "v.npz"), fallback=model)  # type: ignore[arg-type]
    vectors = again.embed(["ccc", "query", "a"])
    assert vectors[:, 0].tolist() == [3.0, 5.0, 1.0]
    assert model.calls[-1] == ["query"]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([5.0], 50, 5.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), (list(map(float, range(1, 101))), 95, 95.05), ([3.0, 1.0, 2.0], 0, 1.0)],
    ids=["one", "even-median", "p95-of-100", "unsorted-min"],
)
def test_percentiles_interpolate_like_numpy(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)
    assert math.isnan(percentile([], 50))


def test_run_sessions_counts_every_failed_or_empty_turn() -> None:
    def reply(session: str, message: str) -> str:
        if message == "boom":
            raise RuntimeError("model on fire")
        return "" if message == "silence" else f"{session}: ok"

    convs = [["hi", "boom"], ["hi", "silence"], ["hi", "hi"]]
    result = run_sessions(reply, convs, threads=3, prefix="t")
    assert (result["turns"], result["errors"]) == (6, 2)
    assert result["error_samples"] == ["RuntimeError: model on fire", "empty answer"]
    assert result["latency"]["n"] == 6


def test_conversations_cycle_the_openings_and_pad_with_follow_ups() -> None:
    convs = conversations([["a"], ["b", "c"]], count=3, turns=2)
    assert len(convs) == 3 and all(len(c) == 2 for c in convs)
    assert [c[0] for c in convs] == ["a", "b", "a"]
    assert convs[1] == ["b", "c"]


def test_projections_follow_the_power_law_of_the_two_largest_sizes_and_say_they_are_projected() -> None:
    rows = [
        {
            "distractors": n,
            "passages": n,
            "search": {"p50_ms": p50, "p95_ms": n / 50},
            "dense_query": {"p50_ms": 1.0},
            "open_s": 1.0,
            "peak_rss_mb": 500.0,
            "disk_mb": n / 1000,
            "vectors": {"embed_passages_per_s": 50.0},
        }
        for n, p50 in ((10_000, 100.0), (100, 7.0), (1_000, 10.0))  # flat while small, then linear
    ]
    proj = figures.projections({"scaling": rows})
    assert proj["projected"] is True
    assert "1,000 and 10,000 passages" in proj["method"]
    assert proj["search_p50_ms"] == {"value": 10_000.0, "exponent": 1.0}
    assert proj["peak_rss_mb"]["exponent"] == 0.0
    assert proj["embed_hours_at_measured_rate"] == pytest.approx(1_000_000 / 50 / 3600, abs=0.05)
    rows[0]["search"]["p50_ms"] = 5.0  # noise: the bigger corpus searched faster
    assert figures.projections({"scaling": rows})["search_p50_ms"] == {"value": 10.0, "exponent": 0.0}
    assert figures.projections({"scaling": rows[:1]})["available"] is False


def test_targets_compare_measured_figures_with_the_issue() -> None:
    sections = {
        "turns": {"all": {"p50_ms": 30.0}},
        "search": {"p50_ms": 5.0},
        "cold": {"ask": {"p50_s": 1.2}},
        "concurrency": {"50": {"errors": 1}},
        "baselines": {"pathwise": {"recall@3": 0.9}, "naive_1000_200_dense": {"recall@3": 0.6}},
    }
    met = {t["check"]: t["met"] for t in figures.targets(sections)}
    assert met == {
        "warm offline turn p50": False,
        "search p50 at 10k passages": None,
        "cold `pathwise ask --offline`": True,
        "errors at 50 concurrent sessions": False,
        "recall@3 pathwise − naive": True,
        "LLM agent overhead p50, first token": None,
        "LLM agent overhead p50, whole turn": None,
    }
    sections["llm"] = {"overhead_ms": {"time_to_first_token": {"p50_ms": 12.0}, "whole_turn": {"p50_ms": 31.0}}}
    met = {t["check"]: t["met"] for t in figures.targets(sections)}
    assert (met["LLM agent overhead p50, first token"], met["LLM agent overhead p50, whole turn"]) == (True, False)


def test_the_fake_llm_calls_the_tool_once_a_turn_and_keeps_each_request_for_a_replay() -> None:
    import openai

    from pathwise.bench.servers import FakeLLM

    tools = [{"type": "function", "function": {"name": "lookup_facts", "parameters": {"type": "object"}}}]
    searched = [
        {
            "role": "assistant",
            "tool_calls": [{"id": "s", "type": "function", "function": {"name": "search_passages", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "s", "content": "passages"},
    ]
    asked = [{"role": "user", "content": "When?"}, *searched]
    with FakeLLM("The wall comes early.", tool="lookup_facts", argument="topic") as fake:
        client = openai.OpenAI(api_key="sk-test", base_url=fake.url, max_retries=0)
        first = client.chat.completions.create(model="m", messages=asked, tools=tools)
        call = first.choices[0].message.tool_calls[0]
        answered = [
            *asked,
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "facts"},
        ]
        streamed = client.chat.completions.create(model="m", messages=answered, tools=tools, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        replayed_first, replayed_whole = bench._bare_turn(client, fake.bodies[:2])
        # The next turn calls the tool again: what the turn before called does not count.
        again = client.chat.completions.create(
            model="m",
            messages=[*answered, {"role": "assistant", "content": text}, {"role": "user", "content": "And then?"}],
            tools=tools,
        )

    assert (call.function.name, json.loads(call.function.arguments)) == ("lookup_facts", {"topic": "When?"})
    assert text == "The wall comes early."
    assert fake.bodies[2:4] == fake.bodies[:2]
    assert 0 < replayed_first <= replayed_whole
    assert json.loads(again.choices[0].message.tool_calls[0].function.arguments) == {"topic": "And then?"}


def test_the_fake_llm_without_a_tool_answers_at_once() -> None:
    import openai

    from pathwise.bench.servers import FakeLLM

    tools = [{"type": "function", "function": {"name": "search_passages", "parameters": {"type": "object"}}}]
    with FakeLLM("The wall comes early.") as fake:
        client = openai.OpenAI(api_key="sk-test", base_url=fake.url, max_retries=0)
        reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "When?"}], tools=tools)

    assert reply.choices[0].message.content == "The wall comes early."
    assert not reply.choices[0].message.tool_calls


def test_the_overhead_is_the_agent_minus_the_bare_client_turn_by_turn() -> None:
    agent = {"first": [50.0, 40.0, 45.0], "whole": [80.0, 70.0, 90.0]}
    bare = {"first": [10.0, 15.0, 12.0], "whole": [20.0, 30.0, 25.0]}
    overhead = bench._overhead(agent, bare)
    assert overhead["time_to_first_token"]["p50_ms"] == 33.0
    assert overhead["whole_turn"]["p50_ms"] == 60.0
    sections: dict[str, Any] = {"llm": {"overhead_ms": overhead}}
    judged = {t["check"]: (t["measured"], t["met"]) for t in figures.targets(sections) if t["check"].startswith("LLM")}
    assert judged == {"LLM agent overhead p50, first token": (33.0, False), "LLM agent overhead p50, whole turn": (60.0, False)}
    nothing = bench._overhead({"first": [], "whole": []}, {"first": [], "whole": []})
    assert {t["met"] for t in figures.targets({"llm": {"overhead_ms": nothing}}) if t["check"].startswith("LLM")} == {None}


@pytest.mark.parametrize(
    ("result", "text"),
    [
        ("plain", "plain"),
        (("", "second"), "second"),
        ([[{"role": "user", "content": "q"}, {"role": "assistant", "content": [{"type": "text", "text": "hi"}]}]], "hi"),
        ({"answer": "a", "citations": []}, "a"),
        (None, ""),
    ],
    ids=["str", "tuple", "chat-history", "dict", "none"],
)
def test_http_answers_are_found_in_any_output_shape(result: Any, text: str) -> None:
    assert bench.http_answer(result) == text


def test_the_llm_section_times_the_agent_and_a_bare_client_on_the_same_requests(tmp_path: Path, model_cache: Path) -> None:
    settings = Settings(home=tmp_path / "home", cache_dir=model_cache)
    b = bench._Bench(replace(TINY, llm_turns=2), settings, tmp_path, load_cases(None), lambda _: None)
    out = b.llm(b.local("main"))

    # The answer from the passages searched for the question; then turns where the model looks up facts first.
    assert out["turn_modes"] == {"llm": 2} and out["requests_per_turn"] == [1]
    assert out["fake_requests"] == 3 * 2  # warm-up and two turns, each made by the agent and replayed
    looked_up = out["with_a_tool_call"]
    assert looked_up["turn_modes"] == {"llm": 2} and looked_up["requests_per_turn"] == [2]
    for timed in (out, out["baseline"], looked_up):
        assert timed["time_to_first_token"]["n"] == timed["whole_turn"]["n"] == 2
        assert 0 < timed["time_to_first_token"]["p50_ms"] < timed["whole_turn"]["p50_ms"]
    assert out["overhead_ms"]["whole_turn"]["n"] == looked_up["overhead_ms"]["whole_turn"]["n"] == 2
    judged = [t["met"] for t in figures.targets({"llm": out}) if t["check"].startswith("LLM")]
    assert len(judged) == 2 and all(isinstance(met, bool) for met in judged)


# -- the quick logic, end to end ------------------------------------------------------------------
def _finite_positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_quick_bench_on_a_tiny_plan_writes_json_plots_and_one_json_line(
    tmp_path: Path, model_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(home=tmp_path / "home", cache_dir=model_cache)
    result = bench.run(True, tmp_path / "out", settings, plan=TINY)

    last = capsys.readouterr().out.strip().splitlines()[-1]
    printed = json.loads(last)
    assert set(HEADLINE) <= set(printed)
    for key in ("search_p50_ms", "offline_turn_p50_ms", "cold_ask_s", "recall_at_3"):
        assert _finite_positive(printed[key]), key
    assert printed["concurrency_errors"] == 0
    assert printed["recall_at_3"] >= printed["naive_recall_at_3"] + 0.3

    saved = json.loads(Path(result["files"]["json"]).read_text())
    assert saved["headline"] == result["headline"]
    assert saved["machine"]["cpus"] >= 1 and saved["versions"]["chromadb"]
    sections = saved["sections"]
    assert not [name for name, v in sections.items() if isinstance(v, dict) and "error" in v]
    assert sections["concurrency"]["50"]["turns"] == 100
    assert sections["ingest"]["reingest"]["idempotent"] is True
    ask = sections["cold"]["ask"]  # one ask that opens Chroma and leaves the store's copy, then the plan's runs
    assert ask["runs"] == TINY.cold_reps and _finite_positive(ask["first_after_a_write_s"])
    split = sections["cold"]["first_run_empty_store"]
    assert all(_finite_positive(split[k]) for k in ("imports_ms", "model_load_ms", "store_open_ms", "first_answer_ms"))
    names = sorted(Path(p).name.split("-", 3)[-1] for p in result["files"]["plots"])
    assert names == ["latency-distribution.png", "recall-by-method.png"]
    assert all(Path(p).stat().st_size > 10_000 for p in result["files"]["plots"])


@pytest.mark.slow
def test_scaling_server_mode_and_two_app_processes_on_tiny_corpora(tmp_path: Path, model_cache: Path) -> None:
    plan = replace(
        TINY,
        name="tiny-full",
        sizes=(100, 300),
        scale_reps=1,
        store_modes=True,
        store_passages=100,
        beyond=True,
        beyond_sessions=6,
        beyond_threads=3,
        concurrency=(10,),
        http_concurrency=(10,),
        llm_turns=2,
        replicas=True,
        replica_sessions=4,
        replica_threads=2,
    )
    settings = Settings(home=tmp_path / "home", cache_dir=model_cache)
    result = bench.run(False, tmp_path / "out", settings, plan=plan, echo=lambda _: None)
    s = result["sections"]
    assert not [name for name, v in s.items() if isinstance(v, dict) and "error" in v]
    measured = [r for r in s["scaling"] if "search" in r]
    assert [r["distractors"] for r in measured] == [100, 300]
    assert [r["passages"] for r in measured] == [158, 358]
    assert all(r["peak_rss_mb"] > 50 and r["disk_mb"] > 0 and r["recall@3"] > 0.5 for r in measured)
    assert s["scaling"][-1]["skipped"].startswith("opt-in")
    assert s["store_modes"]["server"]["passages"] == s["store_modes"]["embedded"]["passages"] == 158
    for key in ("1_process", "2_processes"):
        assert s["beyond"][key]["errors"] == 0 and s["beyond"][key]["turns"] == 6 * 2 * (1 if key == "1_process" else 2)
    assert result["projections"]["projected"] is True and _finite_positive(result["projections"]["search_p50_ms"]["value"])
    handoff = s["beyond"]["2_processes"]["shared_session"]
    assert handoff["expected_history"] == [1, 2, 3] and len(handoff["seen_history"]) == 3
    assert any(p.endswith("latency-vs-size.png") for p in result["files"]["plots"])
    assert s["http"]["10"]["errors"] == 0 and s["http"]["10"]["turns"] == 20
    for key in ("1_replica", "2_replicas"):
        assert s["replicas"][key]["errors"] == 0 and s["replicas"][key]["turns"] == 4 * 2
    latency = s["replicas"]["turn_latency"]
    assert latency["sqlite"]["n"] == latency["postgresql"]["n"] > 0 and _finite_positive(latency["postgresql"]["p95_ms"])
    assert s["llm"]["whole_turn"]["n"] == 2 and s["llm"]["turn_modes"] == {"llm": 2}
    assert s["llm"]["baseline"]["whole_turn"]["n"] == 2 and s["llm"]["requests_per_turn"] == [1]
