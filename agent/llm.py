"""The LLM path: a LangChain agent over the knowledge base, streamed, remembered, guarded.

``LLMAgent.stream`` runs a LangGraph agent (a search for the question, then model ⇄ tools:
search_passages, lookup_facts, score_fit) with one conversation thread per session, and yields
the answer's text as it is written, then one ``Turn``; the turn's memory write finishes behind
it. The graph's steps run on a worker thread of the turn's own (``_Run``), its model chunks
handed over by a callback: LangGraph's own stream modes cost more a turn (docs/performance.md,
6 December). Every fault (no key, HTTP errors, timeouts, a cut stream, a
tool loop, an answer that fails a guard) raises ``LLMUnavailable`` with a short reason, even
mid-stream; the advisor then answers offline and calls ``record_offline_turn`` so the
session's history stays whole.

Text is released to the stream only after the guards have seen what follows it: the gate
holds back the last ``HOLD_WORDS`` words, so a rejected figure, an injected payload or a
run of the system prompt is caught before any of it is shown.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pathwise.agent import guards
from pathwise.agent.models import Citation, FitResult, StreamEvent, Turn, final_turn
from pathwise.errors import LLMUnavailable, PathwiseError
from pathwise.knowledge.types import Hit

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langchain_openai import ChatOpenAI
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from pathwise.agent.tools import FitScorer, KnowledgeSource
    from pathwise.config import Settings

log = logging.getLogger("pathwise.llm")

MAX_WORDS = 120
MAX_TURNS = 64  # turns running at once in one process; more wait for one to end
TOP_CITATIONS = 3  # cited when the model cites nothing it retrieved
HISTORY_TOKENS = 2_000  # earlier turns the model sees, approximate tokens
HOLD_WORDS = guards.LEAK_WORDS + 4
RELEASE_STEP = 6  # words between two releases of streamed text
CHECK_OVERLAP = 400  # characters of already-released text re-read by each streaming check
SYSTEM_CANARY = "PW-SYS-7Q4K"  # printed in the system prompt; an answer holding it leaked the prompt
CITATION_EXAMPLE = "[p:0123abcd4567ef89]"
REPAIR_NOTE = "(I left out a figure I could not find in the article.)"
SEARCHED = "pathwise_searched"  # the config key of a turn's search, made as the turn begins
PREFETCH_PASSAGES = 6  # passages handed over before the model's first call, in a conversation
DEFAULT_FOLLOW_UPS = (
    "How does income grow on each path?",
    "When does burnout hit on each path?",
    "Which path fits someone who likes deep focus?",
    "Why commit to one path before mixing both?",
)


def build_chat_model(settings: Settings) -> ChatOpenAI:
    """``ChatOpenAI`` for any OpenAI-compatible server, with an explicit timeout and retries."""
    if settings.offline:
        raise LLMUnavailable("offline mode is on")
    key = settings.openai_api_key.get_secret_value().strip() if settings.openai_api_key else ""
    if not settings.llm_configured or not key:
        raise LLMUnavailable("no API key is set (OPENAI_API_KEY)")
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=settings.model,
        api_key=SecretStr(key),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        streaming=True,
        # Local servers (Ollama, vLLM, llama.cpp) speak chat completions, not the Responses API.
        use_responses_api=False,
    )


class LLMAgent:
    def __init__(
        self,
        kb: KnowledgeSource,
        chat_model: BaseChatModel,
        *,
        settings: Settings,
        checkpointer: BaseCheckpointSaver[str] | None = None,
        fit_scorer: FitScorer | None = None,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from langgraph.checkpoint.memory import InMemorySaver

        from pathwise import prompts
        from pathwise.agent.tools import build_tools

        self.kb = kb
        self.settings = settings
        self.allowed_hosts = tuple(allowed_hosts)
        self._fit_scorer = fit_scorer
        self.system_prompt = prompts.load("system").render(
            max_words=MAX_WORDS, citation_example=CITATION_EXAMPLE, canary=SYSTEM_CANARY
        )
        self._facts_text = _facts_text(kb)
        tools = build_tools(kb, self._score)
        self._search = next(t for t in tools if t.name == "search_passages")
        self._passages_prompt = prompts.load("passages")
        self._facts_prompt = prompts.load("facts")
        self._fact_passages: dict[str, dict[str, Any]] = {}
        self._grounds = guards.Grounds.build(
            sources=[self._facts_text], system_prompt=self.system_prompt, payloads=[SYSTEM_CANARY]
        )
        self._graph = _agent_graph(
            chat_model,
            tools,
            system_prompt=self.system_prompt,
            history=functools.partial(_trim_history, max_tokens=HISTORY_TOKENS, max_turns=settings.history_turns),
            shown=self._shape,
            checkpointer=checkpointer if checkpointer is not None else InMemorySaver(),
        )
        # Threads start as turns need them, then wait for the next; beyond MAX_TURNS at once, turns queue.
        self._turn_pool = ThreadPoolExecutor(max_workers=MAX_TURNS, thread_name_prefix="pathwise-llm-turn")
        # A pool of its own: a turn waits for its search, which must never queue behind turns.
        self._search_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pathwise-llm-search")
        self._last_runs: weakref.WeakValueDictionary[str, _Run] = weakref.WeakValueDictionary()  # while a run lives

    # -- public ------------------------------------------------------------------

    def stream(
        self,
        session_id: str,
        message: str,
        *,
        query: str | None = None,
        previous: str | None = None,
        carry: Sequence[str] = (),
    ) -> Iterator[StreamEvent]:
        """Token events as the answer is written, then exactly one ``turn`` event.

        Before the model's first call the article is searched for ``query`` (the message itself
        by default; the advisor passes a follow-up's standalone form) and, in a conversation, for
        the ``previous`` question together with this message; the passages the previous answer
        cited (``carry``) go along, so a follow-up ("why? how different") reads what it follows.
        """
        from langchain_core.messages import HumanMessage, ToolMessage
        from langgraph.errors import GraphRecursionError

        started = time.perf_counter()
        # The search runs while the turn sets up; the graph's first step waits for it.
        searched = self._search_pool.submit(
            self._prefetch, query or message, [f"{previous} {message}"] if previous else [], list(carry), _questions(message)
        )
        config = self._config(session_id)
        turn_id = f"turn-{uuid.uuid4().hex}"  # the question's message id: where a rollback cuts
        base = self._grounds.extend([message], guards.injection_payloads(message))
        state = _TurnState(user_text=message, base=base, retrieved=base)
        gate = _Gate(
            shape=lambda raw: self._shape(raw, state.hits),
            check=lambda text, start, end: state.retrieved.check(text, figures_from=start, figures_before=end),
            hold=HOLD_WORDS,
        )
        self.settle(session_id)
        self._drop_unfinished(config)
        log.info("llm turn: session=%s chars=%d", session_id, len(message))
        mid_answer = False  # the current model call has sent text: a dropped connection cut it
        final: AIMessage | None = None  # the model's latest message, whole
        run_config = {**config, "configurable": {**config["configurable"], SEARCHED: searched}}
        run = _Run(self._graph, {"messages": [HumanMessage(message, id=turn_id)]}, run_config, self._turn_pool)
        self._last_runs[session_id] = run
        try:
            for item in run:
                if isinstance(item, ToolMessage):
                    state.add_tool_result(item)
                    mid_answer = False  # a fresh model call follows
                    continue
                whole = isinstance(item, _Whole)
                if not (whole and item.streamed):  # a chunk, or a message that came whole: show it
                    msg = item.message if whole else item
                    gate.start(msg.id)
                    if msg.tool_calls or getattr(msg, "tool_call_chunks", None):
                        gate.tool_call()
                    if text := msg.text:
                        mid_answer = True
                        # More text already waiting: release it together, checked once.
                        if out := gate.feed(text, release=run.caught_up()):
                            yield StreamEvent(kind="token", text=out)
                if whole:
                    final = item.message
                    if not final.tool_calls:
                        # The graph ends after an answer. The run still writes the turn to memory; the
                        # answer is checked and shown meanwhile, and the session's next turn waits for it.
                        run.detach()
                        break
            turn = self._finish(final, state, started)
            if state.repaired:  # the conversation's memory keeps the answer as shown, not as the model wrote it
                shown = turn.answer
                run.when_done(lambda: self._remember_answer(config, turn_id, shown))
            if rest := gate.finish(turn.answer):
                yield StreamEvent(kind="token", text=rest)
        except _Rejected as exc:
            self._abandon(run, config, turn_id)
            log.warning("llm answer rejected by guards: %s", exc)
            if exc.verdict.unsafe:
                raise LLMUnavailable("the model's answer broke a safety rule") from None
            raise LLMUnavailable("the model's answer gave figures the article does not state") from None
        except GraphRecursionError:
            self._abandon(run, config, turn_id)
            log.warning("llm step cap reached (%d steps)", self.settings.llm_max_steps)
            raise LLMUnavailable(
                f"the model kept calling tools without answering ({self.settings.llm_max_steps} steps)"
            ) from None
        except PathwiseError as exc:
            self._abandon(run, config, turn_id)
            log.warning("llm unavailable: %s", exc)
            raise
        except GeneratorExit:  # the caller stopped listening: the turn never finished
            self._abandon(run, config, turn_id)
            raise
        except Exception as exc:  # any model, transport or parsing fault: the caller falls back
            self._abandon(run, config, turn_id)
            reason = _reason(exc, self.settings, mid_stream=mid_answer)
            log.warning("llm unavailable: %s (%s: %s)", reason, type(exc).__name__, _first_line(exc))
            log.debug("the fault's traceback", exc_info=exc)
            raise LLMUnavailable(reason) from None
        yield StreamEvent(kind="turn", turn=turn)

    def reply(self, session_id: str, message: str) -> Turn:
        return model_turn(self.stream(session_id, message))

    def record_offline_turn(self, session_id: str, user_text: str, answer_text: str) -> None:
        """Append a turn answered offline, so the next LLM turn sees the whole conversation."""
        from langchain_core.messages import AIMessage, HumanMessage

        self.settle(session_id)
        try:
            self._graph.update_state(self._config(session_id), {"messages": [HumanMessage(user_text), AIMessage(answer_text)]})
        except Exception:  # history is a convenience; never fail the offline answer over it
            log.warning("could not record the offline turn for session %s", session_id, exc_info=True)

    def history(self, session_id: str) -> list[tuple[str, str]]:
        """(role, text) of each question and final answer in the session, oldest first."""
        from langchain_core.messages import HumanMessage

        out: list[tuple[str, str]] = []
        self.settle(session_id)
        for m in self._messages(self._config(session_id)):
            if isinstance(m, HumanMessage):
                out.append(("user", m.text))
            elif _is_answer(m):
                out.append(("assistant", m.text))
        return out

    def settle(self, session_id: str) -> None:
        """Wait until the session's last run has written its turn to memory (a turn ends before that)."""
        run = self._last_runs.get(session_id)
        if run is not None and not run.wait(self.settings.llm_timeout):
            log.warning("the session's last turn is still being written; going on without it")

    # -- tools -------------------------------------------------------------------

    def _prefetch(
        self, query: str, conversation: Sequence[str] = (), carry: Sequence[str] = (), questions: Sequence[str] = ()
    ) -> list[BaseMessage]:
        """The turn's first search, made before the model's first call, as a call and its result.

        The model answers most questions from these passages, so a turn usually needs one
        model call, not two: one round trip sooner. It can still search again, with other words.
        The result merges the search for ``query``, for the ``questions`` a longer message asks
        (a story before the question dilutes a search for all of it), for ``conversation`` (the
        previous question with this one), and the ``carry`` passages.
        """
        from langchain_core.messages import AIMessage, ToolMessage

        from pathwise.agent.tools import SEARCH_K, merge_hits, passages_result

        call = {
            "name": self._search.name,
            "args": {"query": query},
            "id": f"call_pw_{uuid.uuid4().hex[:16]}",
            "type": "tool_call",
        }
        if not (conversation or carry or questions):
            # What the tool returns, without ``invoke``'s validation of arguments we made ourselves.
            content, artifact = passages_result(self._passages_prompt, query, list(self.kb.search(query, k=SEARCH_K)))
        else:
            ranked = [list(self.kb.search(q, k=SEARCH_K)) for q in (query, *questions, *conversation)]
            carried = list(self.kb.get(list(carry))) if carry else []
            # Every passage found counts against the turn, also those the merge leaves out: the model may find them again.
            found = list({h.id: h for hits in (*ranked, carried) for h in hits}.values())
            payloads = list(
                dict.fromkeys(p for h in found if guards.looks_injected(h.text) for p in guards.injection_payloads(h.text))
            )
            content, artifact = passages_result(self._passages_prompt, query, merge_hits(ranked, carried, PREFETCH_PASSAGES))
            artifact = {**artifact, "payloads": list(dict.fromkeys([*artifact["payloads"], *payloads]))}
        facts, fact_hits = self._fact_sheet(query)
        if facts:
            # The fact sheet's lines for the question's topics go along: the answer is checked against them anyway.
            content = f"{content}\n\n{facts}"
            known = {h["id"] for h in artifact.get("hits", [])}
            artifact = {**artifact, "hits": [*artifact.get("hits", []), *(h for h in fact_hits if h["id"] not in known)]}
        return [
            AIMessage("", tool_calls=[call]),
            ToolMessage(content, artifact=artifact, tool_call_id=call["id"], name=call["name"]),
        ]

    def _fact_sheet(self, topic: str) -> tuple[str, list[dict[str, Any]]]:
        """The fact sheet's lines for ``topic`` as lookup_facts gives them, and their passages (read once per process)."""
        from pathwise.agent.tools import fact_lines

        facts = getattr(self.kb, "facts", None)
        if facts is None:
            return "", []
        lines, ids = fact_lines(facts, topic)
        missing = [i for i in ids if i not in self._fact_passages]
        if missing:
            for hit in self.kb.get(missing):
                if not guards.looks_injected(hit.text):
                    self._fact_passages[hit.id] = hit.model_dump()
        text = self._facts_prompt.render(topic=" ".join(topic.split())[:200], facts="\n".join(lines)) if lines else ""
        return text, [self._fact_passages[i] for i in ids if i in self._fact_passages]

    def _score(self, text: str) -> FitResult | None:
        if self._fit_scorer is not None:
            return self._fit_scorer(text)
        from pathwise.agent.fit import score_text

        return score_text(text)

    # -- shaping and guards ----------------------------------------------------------

    def _shape(self, raw: str, hit_ids: Iterable[str]) -> str:
        """The answer body as shown: no markers, follow-up line, images, HTML, unknown citations."""
        text, _ = guards.strip_scope_marker(raw)
        end = guards.follow_ups_start(text)
        text = guards.sanitize(text if end is None else text[:end], self.allowed_hosts)
        text, _ = guards.resolve_citations(text, hit_ids)
        return text.strip()

    def _finish(self, final: Any, state: _TurnState, started: float) -> Turn:
        if final is None or final.tool_calls or getattr(final, "tool_call_chunks", None):
            raise LLMUnavailable("the model stopped without an answer")
        _check_finish(final.response_metadata or {})
        raw = final.text
        _, in_scope, suggested = guards.split_answer(raw)
        answer = self._shape(raw, state.hits)
        if not answer:
            raise LLMUnavailable("the model returned an empty answer")

        cited: list[Hit] = []
        if in_scope:
            cited = [state.hits[i] for i in guards.cited_ids(answer)]
            if not cited:
                cited = list(state.hits.values())[:TOP_CITATIONS]
            # A figure the model took from a retrieved passage it forgot to cite: cite that passage.
            for figure in guards.ungrounded_figures(answer, [*(h.text for h in cited), state.fit_text, state.user_text]):
                source = next((h for h in state.hits.values() if not guards.ungrounded_figures(figure, [h.text])), None)
                if source is not None and source not in cited:
                    cited.append(source)
        verdict = state.base.extend([*(h.text for h in cited), state.fit_text]).check(answer)
        if verdict.ungrounded and not verdict.unsafe and min(verdict.ungrounded_at) >= guards.main_claim_end(answer):
            # The main claim stands: drop the sentences with a figure no source states, and say so.
            log.info("dropped %d sentence(s) with ungrounded figures: %s", len(verdict.ungrounded), ", ".join(verdict.ungrounded))
            answer = guards.drop_sentences(answer, verdict.ungrounded_at) + "\n\n" + REPAIR_NOTE
            state.repaired = True
            verdict = state.base.extend([*(h.text for h in cited), state.fit_text]).check(answer)
        _raise_unless_ok(verdict)

        follow_ups = self._follow_ups(suggested if in_scope else [], state)
        turn = Turn(
            answer=answer,
            citations=[Citation(id=h.id, section=h.section, text=h.text) for h in cited],
            in_scope=in_scope,
            mode="llm",
            fit=state.fit if in_scope else None,
            follow_ups=follow_ups,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        log.info("llm turn done: %d citations, in_scope=%s, %.0f ms", len(turn.citations), in_scope, turn.latency_ms)
        return turn

    def _follow_ups(self, suggested: list[str], state: _TurnState) -> list[str]:
        out: list[str] = []
        for s in suggested:
            s = guards.strip_citations(guards.sanitize(s)).strip()
            if not s or len(s) > 150 or s.lower() in (o.lower() for o in out):
                continue
            if state.retrieved.check(s).ok:
                out.append(s)
        asked = state.user_text.strip().lower()
        for d in DEFAULT_FOLLOW_UPS:
            if len(out) >= 2:
                break
            if d.lower() != asked and d not in out:
                out.append(d)
        return out[:3]

    # -- memory ------------------------------------------------------------------------

    def _config(self, session_id: str) -> dict[str, Any]:
        # The search step, then one model call and one tool step per cycle; the last cycle has no tool step.
        limit = 2 * self.settings.llm_max_steps
        return {"configurable": {"thread_id": session_id}, "recursion_limit": limit}

    def _messages(self, config: dict[str, Any]) -> list[BaseMessage]:
        snapshot = self._graph.get_state(config)
        return list((snapshot.values or {}).get("messages", []))

    def _drop_unfinished(self, config: dict[str, Any]) -> None:
        """A turn cut off by a killed process leaves its question without an answer: drop it."""
        from langchain_core.messages import RemoveMessage
        from langgraph.graph.message import REMOVE_ALL_MESSAGES

        messages = self._messages(config)
        last = _last_question(messages)
        if last is None or any(_is_answer(m) for m in messages[last + 1 :]):
            return
        log.warning("dropped an unanswered question left by an interrupted turn")
        self._graph.update_state(config, {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *messages[:last]]})

    def _abandon(self, run: _Run, config: dict[str, Any], turn_id: str) -> None:
        """Stop the turn's run, then roll the thread back: a run writes its checkpoint as it stops."""
        if run.stop(timeout=self.settings.llm_timeout):
            self._rollback(config, turn_id)
        else:  # still stuck in the model call: the run rolls back once it ends, whenever that is
            log.info("an abandoned model call is still running; its turn is rolled back when it ends")
            run.when_done(lambda: self._rollback(config, turn_id))

    def _remember_answer(self, config: dict[str, Any], turn_id: str, answer: str) -> None:
        """Replace the turn's answer in the thread with ``answer``, once its run has written it."""
        try:
            messages = self._messages(config)
            start = next((i for i, m in enumerate(messages) if m.id == turn_id), None)
            last = next((m for m in reversed(messages[start or 0 :]) if _is_answer(m)), None) if start is not None else None
            if last is not None and last.text != answer:
                self._graph.update_state(config, {"messages": [last.model_copy(update={"content": answer})]})
        except Exception:  # memory is a convenience: the person already has the answer
            log.info("could not keep the repaired answer in the conversation's memory", exc_info=True)

    def _rollback(self, config: dict[str, Any], turn_id: str) -> None:
        """Put the thread back as it was before a failed turn, so it stays a clean conversation."""
        from langchain_core.messages import RemoveMessage
        from langgraph.graph.message import REMOVE_ALL_MESSAGES

        try:
            messages = self._messages(config)
            cut = next((i for i, m in enumerate(messages) if m.id == turn_id), None)
            if cut is not None:
                # Replace wholesale: a turn cut off mid-step may hold writes not yet checkpointed.
                kept = messages[:cut]
                self._graph.update_state(config, {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *kept]})
        except Exception:
            log.warning("could not roll back a failed turn", exc_info=True)


# -- one turn's run: the graph's steps on a worker thread ----------------------------------


class _Abandoned(Exception):
    """Raised in a model call whose turn was abandoned, so the run stops without waiting for the answer."""


class _Run:
    """One turn of the graph on a pooled thread; iterating gives its messages as they are made.

    The model's chunks come from a callback as they arrive, then its message whole (``_Whole``);
    the tools' results come as each tools step ends. Each step runs inline on the one thread:
    LangGraph's ``stream_mode="messages"`` runs a node on a pool thread and wakes a waiter thread
    for every chunk.
    """

    _END = object()

    def __init__(self, graph: Any, inputs: dict[str, Any], config: dict[str, Any], pool: Executor) -> None:
        import contextvars
        import queue

        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._ended = threading.Event()
        self._detached = False
        self._closing = False  # the run is over; callbacks now run at once
        self._lock = threading.Lock()
        self._on_end: list[Callable[[], None]] = []
        config = {**config, "callbacks": [_relay_class()(self._queue.put, self._stop)]}
        # The caller's context goes along, for callbacks and tracing; a pooled thread starts at once.
        pool.submit(contextvars.copy_context().run, self._produce, graph, inputs, config)

    def _produce(self, graph: Any, inputs: dict[str, Any], config: dict[str, Any]) -> None:
        outcome: Any = self._END
        try:
            # The turn is written once, as the run ends; an abandoned run has ended before its rollback.
            for update in graph.stream(inputs, config, stream_mode="updates", durability="exit"):
                for node in ("search", "tools"):  # the tools' results
                    for msg in (update.get(node) or {}).get("messages", []):
                        if msg.type == "tool":
                            self._queue.put(msg)
        except BaseException as exc:  # noqa: BLE001 - whatever ends the run, the reader is waiting to hear it
            outcome = exc
            if self._detached:  # the answer was shown; only its place in the session's memory is lost
                log.warning("the turn's run failed after its answer: %s", exc, exc_info=True)
        finally:
            self._queue.put(outcome)
            with self._lock:
                self._closing = True
                callbacks, self._on_end = self._on_end, []
            for callback in callbacks:
                callback()
            self._ended.set()  # after the callbacks: whoever waits for the run sees what they did

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def caught_up(self) -> bool:
        """Whether the reader has taken everything the run has made so far."""
        return self._queue.empty()

    def stop(self, timeout: float) -> bool:
        """End the model call at its next token, then ``wait``."""
        self._stop.set()
        return self.wait(timeout)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the run to end; True once it has."""
        return self._ended.wait(timeout)

    def detach(self) -> None:
        """The reader has what it needs: what the run does from here on is logged, not handed over."""
        self._detached = True

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` as the run ends, before ``wait`` sees it ended; now if it is ending or has."""
        with self._lock:
            if not self._closing:
                self._on_end.append(callback)
                return
        callback()


@functools.cache
def _relay_class() -> type:
    """A callback that hands on the model's messages as they come, and ends the call once the turn is abandoned."""
    from langchain_core.callbacks import BaseCallbackHandler
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk

    class Relay(BaseCallbackHandler):
        """Its ``tap_output_*`` methods make LangChain stream a model call as LangGraph's own streaming would."""

        raise_error = True  # a handler's error normally only gets logged
        ignore_chain = ignore_agent = ignore_retriever = ignore_custom_event = True

        def __init__(self, put: Callable[[Any], None], stop: threading.Event) -> None:
            self._put = put
            self._stop = stop
            self._runs: dict[Any, bool] = {}  # the agent's model calls: has each streamed a chunk yet

        def on_chat_model_start(
            self, serialized: Any, messages: Any, *, run_id: Any, metadata: dict[str, Any] | None = None, **kwargs: Any
        ) -> None:
            if (metadata or {}).get("langgraph_node") == "model":
                self._runs[run_id] = False

        def on_llm_new_token(
            self, token: str | list[str | dict[str, Any]], *, chunk: Any = None, run_id: Any = None, **kwargs: Any
        ) -> None:
            if self._stop.is_set():
                raise _Abandoned
            if run_id in self._runs and isinstance(chunk, ChatGenerationChunk):
                self._runs[run_id] = True
                self._put(chunk.message)

        def on_llm_end(self, response: Any, *, run_id: Any = None, **kwargs: Any) -> None:
            streamed = self._runs.pop(run_id, None)
            if streamed is None or not response.generations or not response.generations[0]:
                return
            generation = response.generations[0][0]
            if isinstance(generation, ChatGeneration):  # LangChain has merged the chunks already
                self._put(_Whole(cast("AIMessage", generation.message), streamed))  # a chat model's generation is its reply

        def on_llm_error(self, error: BaseException, *, run_id: Any = None, **kwargs: Any) -> None:
            self._runs.pop(run_id, None)

        # LangChain streams a model call when a handler has these (``_StreamingCallbackHandler``); nothing to tap.
        def tap_output_iter(self, run_id: Any, output: Iterator[Any]) -> Iterator[Any]:
            return output

        def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
            return output

    return Relay


@dataclass(frozen=True)
class _Whole:
    """A model call's message, whole, as it ends; ``streamed`` when its chunks came before it."""

    message: AIMessage
    streamed: bool


# -- the graph: search, then model ⇄ tools -------------------------------------------------


def _agent_graph(
    chat_model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    system_prompt: str,
    history: Callable[[Sequence[BaseMessage]], list[BaseMessage]],
    shown: Callable[[str, Iterable[str]], str],
    checkpointer: BaseCheckpointSaver[str],
) -> Any:
    """The agent as a LangGraph graph: ``search``, then ``model`` ⇄ ``tools`` until the model answers, one thread per session.

    ``search`` adds the search for the question, started as the turn began, as a call of the
    search tool and its result (the run's config carries it, under ``SEARCHED``). The model sees
    the system prompt, then ``history`` of the thread's messages. A final answer
    enters the thread as ``shown`` makes it, not the raw text with markers and follow-ups; done
    here, in the model step, the turn is written to the checkpointer once. The tools run on the
    graph's own thread, one after another (LangGraph's ``ToolNode`` starts a thread pool per call,
    and ``create_agent`` adds a middleware chain).
    """
    from typing import Annotated, TypedDict

    from langchain_core.messages import AIMessage, AnyMessage, SystemMessage, ToolMessage
    from langgraph.graph import END, START, StateGraph
    from langgraph.graph.message import add_messages
    from pydantic import ValidationError

    # The functional form: this module's postponed annotations would leave these names unresolved.
    State = TypedDict("State", {"messages": Annotated[list[AnyMessage], add_messages]})  # noqa: UP013

    model = chat_model.bind_tools(tools)
    by_name = {t.name: t for t in tools}
    system = SystemMessage(system_prompt)

    def call_model(state: State, config: RunnableConfig) -> dict[str, Any]:
        messages = state["messages"]
        reply = model.invoke([system, *history(messages)], config)
        if isinstance(reply, AIMessage) and not reply.tool_calls:
            text = shown(reply.text, _turn_hit_ids(messages))
            if text != reply.text:
                reply = reply.model_copy(update={"content": text})
        return {"messages": [reply]}

    def search(state: State, config: RunnableConfig) -> dict[str, Any]:
        # The search made for the question as the turn began (``LLMAgent._prefetch``), once it is done.
        pending = config.get("configurable", {}).get(SEARCHED)
        return {"messages": pending.result() if pending is not None else []}

    def call_tools(state: State, config: RunnableConfig) -> dict[str, Any]:
        results: list[ToolMessage] = []
        last = state["messages"][-1]
        assert isinstance(last, AIMessage), "route() sends only a model's tool calls here"
        for call in last.tool_calls:
            name, call_id = call["name"], call.get("id") or f"call-{uuid.uuid4().hex[:12]}"  # a tool's answer needs an id
            tool = by_name.get(name)
            if tool is None:  # the model's mistake: tell it, so it can call a real tool or answer
                results.append(
                    ToolMessage(
                        f"Error: there is no tool {name!r}; use one of {', '.join(by_name)}.",
                        tool_call_id=call_id,
                        name=name,
                        status="error",
                    )
                )
                continue
            try:
                results.append(tool.invoke({**call, "id": call_id, "type": "tool_call"}, config))
            except ValidationError as exc:  # bad arguments: likewise the model's to fix
                problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
                results.append(
                    ToolMessage(
                        f"Error: wrong arguments for {name}: {problems}. Fix them and call again.",
                        tool_call_id=call_id,
                        name=name,
                        status="error",
                    )
                )
        return {"messages": results}

    def route(state: dict[str, Any]) -> str:  # not State: add_conditional_edges resolves this annotation as it runs
        # Also run for ``update_state`` (a rollback may leave the thread empty).
        messages = state["messages"]
        return "tools" if messages and isinstance(messages[-1], AIMessage) and messages[-1].tool_calls else END

    graph = StateGraph(State)
    graph.add_node("search", search)
    graph.add_node("model", call_model)
    graph.add_node("tools", call_tools)
    graph.add_edge(START, "search")
    graph.add_edge("search", "model")
    graph.add_conditional_edges("model", route, ["tools", END])
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=checkpointer)


def _turn_hit_ids(messages: Sequence[BaseMessage]) -> list[str]:
    """The passages this turn's tools returned, in order: what its answer may cite."""
    from langchain_core.messages import ToolMessage

    tools = [m for m in messages[_last_question(messages) or 0 :] if isinstance(m, ToolMessage)]
    return list(dict.fromkeys(h["id"] for m in tools for h in (getattr(m, "artifact", None) or {}).get("hits", [])))


def _last_question(messages: Sequence[BaseMessage]) -> int | None:
    """Where the current turn starts: the index of the last question in ``messages``."""
    from langchain_core.messages import HumanMessage

    return max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)


def _is_answer(message: BaseMessage) -> bool:
    """A model's final answer, not a tool call."""
    from langchain_core.messages import AIMessage

    return isinstance(message, AIMessage) and not message.tool_calls and bool(message.text)


def _trim_history(messages: Sequence[BaseMessage], *, max_tokens: int, max_turns: int) -> list[BaseMessage]:
    """The current turn whole; before it, earlier questions and answers only, the last ``max_turns`` within ``max_tokens``."""
    from langchain_core.messages import HumanMessage, trim_messages
    from langchain_core.messages.utils import count_tokens_approximately

    last = _last_question(messages)
    if last is None:
        return list(messages)
    earlier = [m for m in messages[:last] if isinstance(m, HumanMessage) or _is_answer(m)]
    humans = [i for i, m in enumerate(earlier) if isinstance(m, HumanMessage)]
    if len(humans) > max_turns:
        earlier = earlier[humans[-max_turns] :]
    earlier = trim_messages(
        earlier,
        max_tokens=max_tokens,
        token_counter=count_tokens_approximately,
        strategy="last",
        start_on="human",
    )
    return [*earlier, *messages[last:]]


# -- what is shown: the turn's sources, and the gate that releases checked text ------------


class _Rejected(Exception):
    def __init__(self, verdict: guards.Verdict) -> None:
        super().__init__(verdict.describe())
        self.verdict = verdict


def _raise_unless_ok(verdict: guards.Verdict) -> None:
    if not verdict.ok:
        raise _Rejected(verdict)


@dataclass
class _TurnState:
    """What the tools returned during one turn: the only passages the answer may cite.

    ``base`` grounds the answer in the fact sheet and the person's own words; ``retrieved``
    adds every passage and fit result of the turn, for checking text while it streams.
    """

    user_text: str
    base: guards.Grounds
    retrieved: guards.Grounds
    hits: dict[str, Hit] = field(default_factory=dict)  # retrieval order
    fit: FitResult | None = None
    fit_text: str = ""
    repaired: bool = False  # sentences with ungrounded figures were dropped from the answer

    def add_tool_result(self, message: Any) -> None:
        artifact = getattr(message, "artifact", None) or {}
        new = [Hit.model_validate(raw) for raw in artifact.get("hits", [])]
        new = [h for h in new if h.id not in self.hits]
        for hit in new:
            self.hits[hit.id] = hit
        payloads = artifact.get("payloads", [])
        sources = [h.text for h in new]
        if artifact.get("fit"):
            self.fit = FitResult.model_validate(artifact["fit"])
            self.fit_text = str(getattr(message, "content", ""))
            sources.append(self.fit_text)
        # Withheld passages' payloads count against the whole turn, final check included.
        if payloads:
            self.base = self.base.extend(payloads=payloads)
        if sources or payloads:
            self.retrieved = self.retrieved.extend(sources, payloads)


class _Gate:
    """Releases streamed text whole sentences at a time, once shaped, guarded, and followed by ``hold`` words.

    ``check(text, figures_from, figures_before)`` gives the guards' verdict on the recent part
    of the text (what came earlier was checked in an earlier round). An unsafe answer, or an
    ungrounded figure in the main claim, raises; a later sentence with an ungrounded figure is
    held back for good, since the finished answer drops it, so no shown text is ever withdrawn.
    """

    def __init__(self, shape: Callable[[str], str], check: Callable[[str, int, int], guards.Verdict], hold: int) -> None:
        self._shape = shape
        self._check = check
        self._hold = hold
        self.raw = ""
        self.sent = ""
        self._message_id: str | None = None
        self._tool_call = False
        self._checked_at = 0
        self._words = 0
        self._blocked = -1  # where the first sentence to be dropped starts; -1: none

    def start(self, message_id: str | None) -> None:
        if message_id != self._message_id:
            self._message_id = message_id
            self.raw = ""
            self._tool_call = False
            self._checked_at = 0
            self._words = 0
            self._blocked = -1

    def tool_call(self) -> None:
        self._tool_call = True

    def feed(self, delta: str, *, release: bool = True) -> str:
        ended = len(_WORD_END.findall(self.raw[-1:] + delta))
        self.raw += delta
        self._words += ended
        if self._tool_call or not ended or not release:
            return ""
        # Shaping and checking cost grows with the answer; doing it every STEP words keeps a
        # long answer's overhead low while the stream stays smooth.
        if self._words - self._checked_at < RELEASE_STEP:
            return ""
        self._checked_at = self._words
        cut = _safe_cut(self.raw, self._hold)
        if cut <= 0:
            return ""
        complete = self._shape(self.raw[: _last_space(self.raw)])
        candidate = self._shape(self.raw[:cut])
        # Start the checked window well before the new text, on a word boundary, so a
        # figure or a run of prompt words crossing into the new text is seen whole.
        window = max(0, complete.rfind(" ", 0, max(0, len(self.sent) - CHECK_OVERLAP)))
        verdict = self._check(complete[window:], max(0, len(self.sent) - window), len(candidate) - window)
        if verdict.unsafe:
            raise _Rejected(verdict)
        if verdict.ungrounded_at:
            claim = guards.main_claim_end(complete)
            for at in verdict.ungrounded_at:
                start = guards.sentence_start(complete, window + at)
                if start < claim:
                    raise _Rejected(verdict)
                self._blocked = start if self._blocked < 0 else min(self._blocked, start)
        limit = len(candidate) if self._blocked < 0 else min(len(candidate), self._blocked)
        end = 0  # where the last whole sentence within ``limit`` ends, at its last character, not the space after it
        for _, e in guards.sentences(complete):
            e = len(complete[:e].rstrip())
            if e > limit:
                break
            end = e
        candidate = candidate[:end]
        if len(candidate) <= len(self.sent) or not candidate.startswith(self.sent):
            return ""  # no whole sentence more, or shaping is not prefix-stable here: the turn carries the whole answer
        out, self.sent = candidate[len(self.sent) :], candidate
        return out

    def finish(self, answer: str) -> str:
        return answer[len(self.sent) :] if answer.startswith(self.sent) else ""


def _last_space(text: str) -> int:
    r"""Where ``re.search(r"\s\S*$", text)`` starts (0 when it does not match), without a scan of all ``text``."""
    ends = (len(text) - 1, len(text)) if text.endswith("\n") else (len(text),)  # "$" also matches before a final newline
    for end in ends:
        start = end
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        if start > 0:
            return start - 1
    return 0


_WORD_END = re.compile(r"\S(?=\s)")


def _safe_cut(raw: str, hold: int) -> int:
    """Where the released prefix may end: before the last ``hold`` words and any open construct."""
    cut = _word_end_back(raw, hold + 1)  # a trailing partial word counts as one
    if cut == 0:
        return 0
    follow = guards.follow_ups_start(raw)
    if follow is not None:
        cut = min(cut, follow)
    # Never cut inside a link, image, citation marker or tag: shaping needs it whole.
    for opener, closer in (("[", "]"), ("<", ">"), ("](", ")")):
        i = raw.rfind(opener, 0, cut)
        if i >= 0 and closer not in raw[i + len(opener) : cut]:
            cut = raw.rfind("[", 0, i + 1) if opener == "](" else i
            cut = max(cut, 0)
    return cut


def _word_end_back(text: str, n: int) -> int:
    """Where the ``n``-th word from the end of ``text`` ends; 0 when there are fewer words."""
    # Matching the reversed text finds the last words first, without a walk in Python.
    for count, m in enumerate(_NON_SPACE.finditer(text[::-1]), 1):
        if count == n:
            return len(text) - m.start()
    return 0


_NON_SPACE = re.compile(r"\S+")


# -- faults, in words a person reads -------------------------------------------------------


def _check_finish(meta: dict[str, Any]) -> None:
    """A provider's answer must say it finished; a missing or cut-short finish is a fault."""
    reason = meta.get("finish_reason")
    if meta.get("model_provider") and not reason:
        raise LLMUnavailable("the model service ended the answer without finishing it")
    if reason == "length":
        raise LLMUnavailable("the model's answer was cut off at its length limit")
    if reason == "content_filter":
        raise LLMUnavailable("the model service withheld the answer (its content filter)")


def _reason(exc: BaseException, settings: Settings, *, mid_stream: bool) -> str:
    """What went wrong on the way to an answer, in words a person reads in the notice."""
    import json

    from langchain_core import exceptions as lc

    try:
        import openai
    except ImportError:  # another provider's client; the neutral LangChain errors still apply
        openai = None  # type: ignore[assignment]

    status = getattr(exc, "status_code", None)
    if isinstance(exc, lc.ModelAuthenticationError) or status == 401 or (openai and isinstance(exc, openai.AuthenticationError)):
        return "the model service refused the API key"
    if isinstance(exc, lc.ModelRateLimitError) or status == 429 or (openai and isinstance(exc, openai.RateLimitError)):
        return "the model service is busy"
    if isinstance(exc, lc.ModelPermissionDeniedError) or status == 403:
        return "the model service refused access to the model"
    if isinstance(exc, lc.ModelNotFoundError) or status == 404:
        return f"the model service does not know the model {settings.model!r}"
    if isinstance(exc, lc.ContextOverflowError):
        return "the conversation is too long for the model"
    if isinstance(exc, lc.ModelTimeoutError) or (openai and isinstance(exc, openai.APITimeoutError)):
        return f"the model did not answer within {settings.llm_timeout:g} s"
    if isinstance(status, int) and status >= 500:
        return "the model service had an internal error"
    if isinstance(status, int):
        return "the model service refused the request"
    if isinstance(exc, lc.ModelConnectionError) or (openai and isinstance(exc, openai.APIConnectionError)) or _is_transport(exc):
        if mid_stream:
            return "the connection to the model service dropped mid-answer"
        return "cannot reach the model service" + (f" at {settings.openai_base_url}" if settings.openai_base_url else "")
    # A reply that is not what the API promises: not JSON, not an event stream, fields missing or null.
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError | ValueError | TypeError | LookupError | AttributeError) or (
        openai and isinstance(exc, openai.APIResponseValidationError)
    ):
        return "the model's reply could not be read"
    return "the model failed unexpectedly"


def _first_line(exc: BaseException) -> str:
    """The start of an error's message: a provider's can carry a whole response body."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _is_transport(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "ssl", "socket") or isinstance(
        exc, ConnectionError
    )


# -- small helpers -------------------------------------------------------------------------


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def model_turn(events: Iterable[StreamEvent]) -> Turn:
    """The turn a model's stream ends with; a stream that ends without one is the model's fault."""
    turn = final_turn(events)
    if turn is None:
        raise LLMUnavailable("the model gave no answer")
    return turn


def _questions(message: str) -> list[str]:
    """The questions of a message that says more than one sentence; none when it is one."""
    parts = [p.strip() for p in _SENTENCE.findall(message) if p.strip()]
    return [p for p in parts if p.endswith("?")] if len(parts) > 1 else []


def _facts_text(kb: KnowledgeSource) -> str:
    """Every string in the fact sheet, one per line: figures there count as grounded."""
    facts = getattr(kb, "facts", None)
    if facts is None:
        return ""
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(facts.model_dump())
    return "\n".join(s for s in strings if not re.fullmatch(r"[0-9a-f]{16}", s))
