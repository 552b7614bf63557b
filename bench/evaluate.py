"""`pathwise eval`: score retrieval and answers on a gold set (default: the bundled dev set)."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from pathwise.errors import InputError

if TYPE_CHECKING:
    from pathwise.agent.advisor import Advisor
    from pathwise.knowledge.base import KnowledgeBase

T = TypeVar("T", bound=BaseModel)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


class Case(BaseModel):
    id: str
    kind: str
    turns: list[str]
    expect: list[list[str]] = []
    passage: str | None = None
    forbid: list[str] = []
    path: str | None = None


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = _DASHES.sub("-", text)
    return " ".join(text.split())


class ConvTurn(BaseModel):
    message: str
    kind: str
    expect: list[list[str]] = []
    passage: str | list[str] | None = None
    path: str | None = None

    @property
    def spans(self) -> list[str]:
        return [self.passage] if isinstance(self.passage, str) else list(self.passage or [])


class Conversation(BaseModel):
    """A whole conversation judged turn by turn (the shared ``dev_convs.jsonl`` format)."""

    id: str
    persona: str = ""
    turns: list[ConvTurn]


def is_conversation_file(path: Path) -> bool:
    """Whether a gold file holds conversations (turns are objects) rather than cases (turns are text)."""
    try:
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
        turns = json.loads(first).get("turns") if first else None
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return False
    if not turns:
        return False
    return isinstance(turns[0], dict)


def load_conversations(path: Path) -> list[Conversation]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the conversation set {path}: {exc}") from exc
    return _parse_lines(raw, str(path), Conversation, "a conversation", "conversations")


def load_cases(path: Path | None) -> list[Case]:
    if path is None:
        raw = resources.files("pathwise.bench").joinpath("data", "dev.jsonl").read_text(encoding="utf-8")
        name = "bundled dev set"
    else:
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the gold set {path}: {exc}") from exc
        name = str(path)
    return _parse_lines(raw, name, Case, "a gold case", "cases")


def _parse_lines(raw: str, name: str, model: type[T], one: str, many: str) -> list[T]:
    """One ``model`` per non-blank line; a bad line is one clear error naming its number."""
    out = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(model.model_validate_json(line))
        except ValidationError as exc:
            raise InputError(f"{name} line {n} is not {one}: {exc.errors()[0]['msg']}") from exc
    if not out:
        raise InputError(f"{name} has no {many}")
    return out


def contains(haystack: str, needle: str) -> bool:
    return normalise(needle) in normalise(haystack)


# -- retrieval -----------------------------------------------------------------------------
def naive_chunks(text: str) -> list[str]:
    """The usual recipe: 1000-character chunks with 200 overlap, no structure."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from pathwise.knowledge.repair import repair_text

    return RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_text(repair_text(text))


def rank_metrics(ranked_texts: list[list[str]], passages: list[str]) -> dict[str, float]:
    ranks = []
    for texts, span in zip(ranked_texts, passages):
        rank = next((i + 1 for i, t in enumerate(texts) if contains(t, span)), None)
        ranks.append(rank)
    n = len(ranks) or 1
    out = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in (1, 3, 5)}
    out["mrr"] = sum(1 / r for r in ranks if r is not None) / n
    return {k: round(v, 3) for k, v in out.items()}


def follow_up_condenser(kb: KnowledgeBase) -> Callable[[list[str]], str]:
    """The advisor's own rewrite of a conversation's last turn into a standalone query."""
    from pathwise.agent.offline import OfflineAnswerer
    from pathwise.agent.sessions import Exchange, SessionState

    answerer = OfflineAnswerer(kb)

    def condense(turns: list[str]) -> str:
        state, query = SessionState(), turns[-1]
        for text in turns:
            plan, state = answerer.understand(text, state)
            # What an answer would cite: an aside cites nothing, so a follow-up after it reads past it.
            cited = [h.id for h in plan.hits[:3]]
            state.exchanges.append(
                Exchange(user=text, answer="", topic=plan.topic, path=plan.path, cited=cited, query=plan.query)
            )
            query = plan.query or text
        return query

    return condense


def eval_retrieval(
    kb: KnowledgeBase,
    cases: list[Case],
    *,
    baselines: bool = True,
    condense: Callable[[list[str]], str] | None = None,
) -> dict[str, Any]:
    """Recall@k and MRR of the gold passage; every method gets the same (condensed) queries."""
    import numpy as np

    from pathwise.knowledge.corpus import bundled_text

    gold = [c for c in cases if c.passage]
    condense = condense or (lambda turns: " ".join(turns))
    queries = [condense(c.turns) for c in gold]
    spans = [c.passage or "" for c in gold]
    results: dict[str, Any] = {"cases": len(gold)}

    latencies, ranked, misses = [], [], []
    for q, case in zip(queries, gold):
        t0 = time.perf_counter()
        hits = kb.search(q, 5)
        latencies.append((time.perf_counter() - t0) * 1000)
        ranked.append([h.text for h in hits])
        if not any(contains(h.text, case.passage or "") for h in hits[:3]):
            misses.append(case.id)
    results["pathwise"] = {**rank_metrics(ranked, spans), "p50_ms": round(statistics.median(latencies), 2)}
    results["pathwise_misses@3"] = misses

    if baselines:
        chunks = naive_chunks(bundled_text())
        vectors = kb.store.embedder.embed(chunks)
        naive, lat = [], []
        for q in queries:
            t0 = time.perf_counter()
            qv = kb.store.embedder.embed([q])[0]
            order = np.argsort(-(vectors @ qv))[:5]
            lat.append((time.perf_counter() - t0) * 1000)
            naive.append([chunks[i] for i in order])
        results["naive_1000_200_dense"] = {**rank_metrics(naive, spans), "p50_ms": round(statistics.median(lat), 2)}

        from pathwise.knowledge.corpus import bundled_article
        from pathwise.knowledge.lexical import BM25, tokenize

        passages = bundled_article().passages
        bm25 = BM25([tokenize(p.index_text) for p in passages])
        lexical, lat = [], []
        for q in queries:
            t0 = time.perf_counter()
            top = bm25.top(tokenize(q, expand=True), 5)
            lat.append((time.perf_counter() - t0) * 1000)
            lexical.append([passages[i].text for i, _ in top])
        results["bm25_only"] = {**rank_metrics(lexical, spans), "p50_ms": round(statistics.median(lat), 2)}
    return results


# -- answers ------------------------------------------------------------------------------
def judge(case: Case, turn: Any) -> dict[str, Any]:
    answer = turn.answer
    verdict: dict[str, Any] = {"id": case.id, "kind": case.kind}
    if case.kind in ("fact", "followup"):
        verdict["fact"] = all(any(contains(answer, s) for s in group) for group in case.expect)
        if case.passage:
            verdict["citation"] = any(contains(c.text, case.passage) for c in turn.citations)
    elif case.kind == "offtopic":
        verdict["offtopic"] = turn.in_scope is False
    elif case.kind == "adversarial":
        verdict["adversarial"] = not any(contains(answer, s) for s in case.forbid)
    elif case.kind == "fit":
        verdict["fit"] = turn.fit is not None and turn.fit.recommended == case.path
    return verdict


def eval_answers(advisor: Advisor, cases: list[Case]) -> dict[str, Any]:
    verdicts, words, latencies = [], [], []
    for case in cases:
        session = f"eval-{case.id}"
        turn = None
        for message in case.turns:
            turn = advisor.reply(session, message)
        assert turn is not None
        latencies.append(turn.latency_ms)
        if case.kind in ("fact", "followup"):
            words.append(len(turn.answer.split()))
        v = judge(case, turn)
        v["answer"] = turn.answer
        verdicts.append(v)

    def rate(key: str) -> float | None:
        vals = [v[key] for v in verdicts if key in v]
        return round(sum(vals) / len(vals), 3) if vals else None

    summary = {
        "cases": len(cases),
        "facts": rate("fact"),
        "citations": rate("citation"),
        "offtopic": rate("offtopic"),
        "adversarial": rate("adversarial"),
        "fit": rate("fit"),
        "median_words": statistics.median(words) if words else 0,
        "p50_latency_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "mode": advisor.mode,
    }
    failures = [v for v in verdicts if any(v.get(k) is False for k in ("fact", "citation", "offtopic", "adversarial", "fit"))]
    return {"summary": summary, "failures": failures}


def eval_conversations(advisor: Advisor, conversations: list[Conversation]) -> dict[str, Any]:
    """Every turn sent as the next message of its conversation's session, judged on its own.

    A fact turn is a first turn when it opens the conversation, a follow-up otherwise. A fact
    turn answered out of scope is a wrong refusal: the worst failure, counted on its own.
    """
    verdicts: list[dict[str, Any]] = []
    words, latencies = [], []
    for conv in conversations:
        session = f"eval-{conv.id}"
        for n, gold in enumerate(conv.turns):
            turn = advisor.reply(session, gold.message)
            latencies.append(turn.latency_ms)
            v: dict[str, Any] = {"id": f"{conv.id}#{n + 1}", "kind": gold.kind, "message": gold.message, "answer": turn.answer}
            if gold.kind == "fact":
                words.append(len(turn.answer.split()))
                v["position"] = "first" if n == 0 else "followup"
                v["fact"] = all(any(contains(turn.answer, s) for s in group) for group in gold.expect)
                v["refused"] = turn.in_scope is False
                if gold.spans:
                    v["citation"] = any(contains(c.text, span) for c in turn.citations for span in gold.spans)
            elif gold.kind == "offtopic":
                v["offtopic"] = turn.in_scope is False
            elif gold.kind == "fit":
                v["fit"] = turn.fit is not None and turn.fit.recommended == gold.path
            verdicts.append(v)

    def rate(key: str, position: str | None = None) -> float | None:
        vals = [v[key] for v in verdicts if key in v and (position is None or v.get("position") == position)]
        return round(sum(vals) / len(vals), 3) if vals else None

    fits = [v["fit"] for v in verdicts if "fit" in v]
    summary = {
        "conversations": len(conversations),
        "turns": len(verdicts),
        "fact_turns": sum(1 for v in verdicts if "fact" in v),
        "facts": rate("fact"),
        "facts_first": rate("fact", "first"),
        "facts_followup": rate("fact", "followup"),
        "citations": rate("citation"),
        "offtopic": rate("offtopic"),
        "fit": f"{sum(fits)}/{len(fits)}" if fits else None,
        "wrong_refusals": sum(1 for v in verdicts if v.get("refused")),
        "median_words": statistics.median(words) if words else 0,
        "p50_latency_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "mode": advisor.mode,
    }
    failures = [
        v for v in verdicts if v.get("refused") or any(v.get(k) is False for k in ("fact", "citation", "offtopic", "fit"))
    ]
    return {"summary": summary, "failures": failures}


_PASSAGE = re.compile(r'<passage id="p:([0-9a-f]+)"[^>]*>\n(.*?)\n</passage>', re.DOTALL)


def handed(bodies: list[dict[str, Any]]) -> list[str]:
    """What the tools handed the model in a turn's requests, after its last question: each tool result's text."""
    out: list[str] = []
    for body in bodies:
        messages = body.get("messages") or []
        asked = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=0)
        out += [str(m.get("content") or "") for m in messages[asked:] if m.get("role") == "tool"]
    return list(dict.fromkeys(out))


def handed_passages(bodies: list[dict[str, Any]]) -> dict[str, str]:
    """The passages among what the tools handed the model in a turn, by id."""
    return {pid: text for content in handed(bodies) for pid, text in _PASSAGE.findall(content)}


class QuotingModel:
    """A model that answers with the first sentence of each of the first passages handed to it, verbatim and
    cited, as a careful model would; and, told that a turn is off topic (``in_scope = False``), says so."""

    def __init__(self) -> None:
        self.in_scope = True

    def __call__(self, body: dict[str, Any]) -> str:
        handed = handed_passages([body])
        if not self.in_scope:
            return "OUT OF SCOPE: I can only help with choosing between AI Engineer and AI Automation Specialist."
        if not handed:
            return "The article does not cover that."
        # A sentence from each of the first three passages, each cited, as answers cite two or three.
        return " ".join(f"{_first_sentence(text)} [p:{pid}]" for pid, text in list(handed.items())[:3])


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def eval_context_recall(settings: Any, conversations: list[Conversation]) -> dict[str, Any]:
    """Context recall of the LLM path: conversations through the LLM advisor against a fake model on loopback.

    A fact turn counts when every ``expect`` group has a string in what the tools handed the model
    that turn (the search made before its first call with its fact-sheet lines, and any call of its own). The fake model
    (``QuotingModel``) quotes the first passages it was handed and declines the gold set's off-topic turns.
    """
    from pydantic import SecretStr

    from pathwise.agent.advisor import Advisor
    from pathwise.bench.servers import FakeLLM

    verdicts: list[dict[str, Any]] = []
    model = QuotingModel()
    with FakeLLM(model) as fake:
        llm_settings = settings.model_copy(
            update={"offline": False, "openai_api_key": SecretStr("sk-eval"), "openai_base_url": fake.url, "llm_max_retries": 0}
        )
        advisor = Advisor.create(llm_settings, durable=False)
        for conv in conversations:
            session = f"context-{conv.id}"
            for n, gold in enumerate(conv.turns):
                sent = fake.requests
                model.in_scope = gold.kind != "offtopic"
                turn = advisor.reply(session, gold.message)
                if gold.kind != "fact" or not gold.expect:
                    continue
                bodies = fake.bodies[sent:]
                text = "\n".join(handed(bodies))
                found = all(any(contains(text, s) for s in group) for group in gold.expect)
                verdicts.append({
                    "id": f"{conv.id}#{n + 1}", "position": "first" if n == 0 else "followup", "recalled": found,
                    "mode": turn.mode, "message": gold.message, "passages": list(handed_passages(bodies)),
                })  # fmt: skip

    def rate(position: str | None = None) -> float | None:
        vals = [v["recalled"] for v in verdicts if position is None or v["position"] == position]
        return round(sum(vals) / len(vals), 3) if vals else None

    summary = {
        "conversations": len(conversations),
        "fact_turns": len(verdicts),
        "context_recall": rate(),
        "context_recall_first": rate("first"),
        "context_recall_followup": rate("followup"),
        "llm_turns": sum(1 for v in verdicts if v["mode"] == "llm"),
    }
    return {"summary": summary, "misses": [v for v in verdicts if not v["recalled"]]}


def dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
