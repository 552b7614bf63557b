"""The agent's tools: passage search, the fact sheet, fit scoring; thin and typed.

Imported only when the LLM agent is built, so its LangChain imports stay off the offline path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from langchain_core.tools import BaseTool, tool

from pathwise import prompts
from pathwise.agent import guards
from pathwise.agent.models import FitResult
from pathwise.knowledge.facts import PATH_LABEL, FactSheet
from pathwise.knowledge.types import Hit

log = logging.getLogger("pathwise.llm")

SEARCH_K = 5

FitScorer = Callable[[str], "FitResult | None"]


class KnowledgeSource(Protocol):
    """What the agent needs of the knowledge base."""

    @property
    def facts(self) -> FactSheet: ...

    def search(self, query: str, k: int = 5) -> list[Hit]: ...

    def get(self, ids: list[str]) -> list[Hit]: ...


def build_tools(kb: KnowledgeSource, score: FitScorer) -> list[BaseTool]:
    """search_passages, lookup_facts and score_fit over ``kb``; ``score`` turns a description into a fit."""
    passages_prompt = prompts.load("passages")
    facts_prompt = prompts.load("facts")

    @tool(response_format="content_and_artifact")
    def search_passages(query: str) -> tuple[str, dict[str, Any]]:
        """Search the article. Returns the best-matching passages, each with its id (cite it as [p:<id>]) and section."""
        return passages_result(passages_prompt, query, list(kb.search(query, k=SEARCH_K)))

    @tool(response_format="content_and_artifact")
    def lookup_facts(topic: str) -> tuple[str, dict[str, Any]]:
        """Look up the article's fact sheet: income by period, burnout timing, comparison table rows, red flags, framework questions, the commitment advice."""
        lines, ids = fact_lines(kb.facts, topic)
        hits = [h for h in kb.get(ids) if not guards.looks_injected(h.text)] if ids else []
        content = facts_prompt.render(topic=_one_line(topic), facts="\n".join(lines))
        return content, {"hits": [h.model_dump() for h in hits], "payloads": []}

    @tool(response_format="content_and_artifact")
    def score_fit(description: str) -> tuple[str, dict[str, Any]]:
        """Score which path fits a person, from their own description of how they like to work. Returns the recommendation and the reasons behind it."""
        result = score(description)
        if result is None:
            return "The description says nothing the article's framework can score.", {}
        return _fit_text(result), {"fit": result.model_dump()}

    return [search_passages, lookup_facts, score_fit]


def passages_result(passages_prompt: Any, query: str, hits: list[Hit]) -> tuple[str, dict[str, Any]]:
    """What ``search_passages`` returns for ``hits``: the passages as the model reads them, and the hits themselves."""
    clean, payloads = _quarantine(hits)
    body = "\n".join(_passage_block(h) for h in clean) or "(no passage matched: the article may not cover this)"
    log.debug("search_passages: %d hits, %d withheld", len(clean), len(hits) - len(clean))
    content = passages_prompt.render(query=_one_line(query), passages=body)
    return content, {"hits": [h.model_dump() for h in clean], "payloads": payloads}


def merge_hits(ranked: list[list[Hit]], carried: list[Hit], limit: int) -> list[Hit]:
    """The best two of each search first, then the passages carried over, then the rest by rank; each once, ``limit`` in all."""
    order: dict[str, Hit] = {}
    heads = [h for hits in ranked for h in hits[:2]]
    rest = [h for i in range(2, max(map(len, ranked), default=0)) for hits in ranked if i < len(hits) for h in [hits[i]]]
    for hit in (*heads, *carried, *rest):
        order.setdefault(hit.id, hit)
    return list(order.values())[:limit]


def _quarantine(hits: list[Hit]) -> tuple[list[Hit], list[str]]:
    """Withhold passages that carry instructions for the model; remember what they asked for."""
    clean, payloads = [], []
    for h in hits:
        if guards.looks_injected(h.text):
            log.warning("withheld passage %s: it contains instructions aimed at the model", h.id)
            payloads.extend(guards.injection_payloads(h.text))
        else:
            clean.append(h)
    return clean, payloads


def _passage_block(hit: Hit) -> str:
    text = hit.text.replace("</passage>", "</ passage>")
    section = hit.section.replace('"', "'")
    return f'<passage id="p:{hit.id}" section="{section}">\n{text}\n</passage>'


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def _fit_text(result: FitResult) -> str:
    scores = ", ".join(f"{path} {score:g}" for path, score in result.scores.items())
    lines = [f"Recommended: {result.recommended} (scores: {scores}; undecided when the gap is under {result.margin:g})"]
    lines += [f"- {r.signal} ({r.answer}) -> {r.path} +{r.points:g}. The article: “{r.quote}”" for r in result.reasons]
    if result.caveat:
        lines.append(f"Caveat: {result.caveat}")
    return "\n".join(lines)


_TOPICS: dict[str, tuple[str, ...]] = {
    "income": ("income", "earn", "salary", "pay", "money", "₹", "rupee", "lakh", "rate"),
    "burnout": ("burnout", "burn", "wall", "break", "tired", "exhaust", "quit"),
    "red_flags": ("red flag", "flag", "struggle", "personality", "fail", "trait", "warning"),
    "questions": ("question", "framework", "decide", "self-knowledge", "quiz"),
    "commitment": ("commit", "both", "straddle", "switch", "minimum", "how long"),
    "hiring": ("compan", "hire", "hiring", "employer", "startup"),
    "recommendations": ("recommend", "choose", "which", "should i", "pick", "verdict", "better", "best"),
}


def fact_lines(facts: FactSheet, topic: str) -> tuple[list[str], list[str]]:
    """The fact sheet's lines for ``topic`` (all of them when it names none), each ending in its passage id; and those ids."""
    t = topic.lower()
    wanted = {name for name, words in _TOPICS.items() if any(w in t for w in words)}
    rows = [r for r in facts.table if any(w in t for w in re.findall(r"[a-z]{4,}", r.dimension.lower()))]
    if not wanted and not rows:
        wanted = set(_TOPICS)
        rows = list(facts.table)
    lines: list[str] = []
    ids: list[str] = []

    def add(line: str, passage_id: str) -> None:
        lines.append(f"{line} [p:{passage_id}]")
        ids.append(passage_id)

    if "income" in wanted:
        for b in facts.incomes:
            add(f"Income, {PATH_LABEL[b.path]}: {b.quote}", b.passage_id)
    if "burnout" in wanted:
        for burn in facts.burnout:
            add(f"Burnout, {PATH_LABEL[burn.path]}: {burn.quote} ({burn.causes})", burn.passage_id)
    for r in rows:
        add(f"{r.dimension}: AI Engineer: {r.engineering}; AI Automation Specialist: {r.automation}", r.passage_id)
    if "red_flags" in wanted:
        for f in facts.red_flags:
            add(f"Red flag for {PATH_LABEL[f.path]}: {f.flag}", f.passage_id)
    if "questions" in wanted:
        for q in facts.questions:
            add(f"Question: {q.question} Engineering: {q.engineering} Automation: {q.automation}", q.passage_ids[0])
    if "hiring" in wanted:
        add(f"Who hires which path: {facts.hiring.text}", facts.hiring.passage_id)
    if "commitment" in wanted:
        add(f"Commitment: {facts.commitment.text}", facts.commitment.passage_id)
    if "recommendations" in wanted:
        add(f"Verdict: {facts.verdict.text}", facts.verdict.passage_id)
        for path, quote in facts.recommendations.items():
            add(f"Recommendation, {PATH_LABEL[path]}: {quote.text}", quote.passage_id)
    return lines, list(dict.fromkeys(ids))
