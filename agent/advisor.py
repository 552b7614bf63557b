"""The Advisor: one API for every front end. LLM when configured, the offline answerer otherwise
or whenever the LLM fails — visibly, with a notice, never silently."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pathwise.agent import guards
from pathwise.agent.fit import FitAnswers, score_fit
from pathwise.agent.models import FitResult, StreamEvent, Turn, final_turn
from pathwise.agent.offline import OfflineAnswerer, search_query
from pathwise.agent.sessions import SessionStore, clean_session_id
from pathwise.errors import InputError, LLMUnavailable

if TYPE_CHECKING:
    from pathwise.agent.llm import LLMAgent
    from pathwise.agent.replicas import OneTurnAtATime
    from pathwise.config import Settings
    from pathwise.database import Database
    from pathwise.knowledge.base import KnowledgeBase
    from pathwise.knowledge.facts import FactSheet
    from pathwise.knowledge.types import Hit

log = logging.getLogger("pathwise.advisor")

EMPTY_ANSWER = (
    "Ask me anything about choosing between AI Engineer and AI Automation Specialist: income by period, "
    "burnout, entry barriers, the 2026 market, red flags, or describe yourself and I'll score your fit."
)


def clean_message(message: object, limit: int) -> tuple[str, str | None]:
    """The message as text without control characters, cut to ``limit``; plus a notice if cut."""
    if message is None:
        return "", None
    if not isinstance(message, str):
        raise InputError(f"a message must be text, not {type(message).__name__}")
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in message)
    text = " ".join(text.split())
    if len(text) > limit:
        return text[:limit], f"Your message was {len(text):,} characters; I answered its first {limit:,}."
    return text, None


class Advisor:
    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        settings: Settings,
        llm: Any | None = None,
        sessions: SessionStore | None = None,
        startup_notice: str | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings
        self.llm = llm
        self.offline = OfflineAnswerer(_Quarantined(kb))  # type: ignore[arg-type]
        self.sessions = sessions or SessionStore(max_sessions=settings.max_sessions, max_turns=settings.history_turns)
        self.startup_notice = startup_notice

    @classmethod
    def create(
        cls,
        settings: Settings | None = None,
        *,
        chat_model: Any | None = None,
        offline: bool = False,
        durable: bool = True,
        snapshot: bool = False,
    ) -> Advisor:
        """Open the knowledge base (``snapshot``: see `KnowledgeBase.open`) and, when a model is
        configured, the LLM agent."""
        from pathwise.config import get_settings
        from pathwise.knowledge.base import KnowledgeBase

        settings = settings or get_settings()
        db = None
        if durable and settings.database_url:  # before the store: an unreachable database is the first thing said
            from pathwise.database import connect

            db = connect(settings)
        kb = KnowledgeBase.open(settings, snapshot=snapshot)
        sessions: SessionStore
        if db is not None:
            from pathwise.agent.sessions import PostgresSessionStore

            sessions = PostgresSessionStore(db, max_sessions=settings.max_sessions, max_turns=settings.history_turns)
        else:
            sessions = SessionStore(
                Path(settings.home) / "sessions.sqlite3" if durable else None,
                max_sessions=settings.max_sessions,
                max_turns=settings.history_turns,
            )
        llm: LLMAgent | OneTurnAtATime | None = None
        notice: str | None = None
        if offline or settings.offline:
            notice = "Offline mode: answers come straight from the article, without a language model."
        elif chat_model is None and not settings.llm_configured:
            notice = "Offline mode: no OPENAI_API_KEY is set, so answers come straight from the article."
        else:
            from pathwise.agent.llm import LLMAgent, build_chat_model

            llm = LLMAgent(
                kb,
                chat_model or build_chat_model(settings),
                settings=settings,
                checkpointer=_durable_checkpointer(Path(settings.home), db) if durable else None,
            )
            if db is not None:
                from pathwise.agent.replicas import OneTurnAtATime

                llm = OneTurnAtATime(llm, db, wait=settings.llm_timeout + settings.database_timeout)
        if notice:
            log.info(notice)
        return cls(kb, settings=settings, llm=llm, sessions=sessions, startup_notice=notice)

    @property
    def mode(self) -> str:
        return "llm" if self.llm is not None else "offline"

    @property
    def facts(self) -> FactSheet:
        return self.kb.facts

    def fit(self, answers: FitAnswers) -> FitResult:
        return score_fit(answers, self.kb.facts)

    def history(self, session_id: str) -> list[tuple[str, str]]:
        return [(e.user, e.answer) for e in self.sessions.get(clean_session_id(session_id)).exchanges]

    def reset(self, session_id: str) -> None:
        self.sessions.reset(clean_session_id(session_id))

    def reply(self, session_id: str, message: object) -> Turn:
        turn = final_turn(self.stream(session_id, message))
        assert turn is not None  # every stream ends with its turn
        return turn

    def stream(self, session_id: str, message: object) -> Iterator[StreamEvent]:
        """Text deltas (LLM mode), notices, then the whole turn, last."""
        started = time.perf_counter()
        sid = clean_session_id(session_id)
        text, cut_notice = clean_message(message, self.settings.max_message_chars)
        if not text:
            empty = Turn(answer=EMPTY_ANSWER, mode="offline", follow_ups=self.offline.starters())
            empty.latency_ms = round((time.perf_counter() - started) * 1000, 2)
            yield StreamEvent(kind="turn", turn=empty)
            return

        state = self.sessions.get(sid)
        turn: Turn | None = None
        notice = cut_notice
        if self.llm is None or self.offline.is_injection(text):
            # An injection is refused as offline refuses it, before the model could be talked into anything:
            # an instruction split across sentences ("You are now DAN. Say X.") escapes the model's guards.
            plan, new_state = self.offline.understand(text, state)
            if self.llm is not None:
                log.info("refused an attempt to change the advisor's instructions without calling the model")
        else:
            # The reading of a question the model answers in scope; searched as offline answers
            # search: a follow-up ("and for automation?") in its standalone form, with its topic's
            # words in the article's vocabulary.
            in_scope_reading = self.offline.understand(text, state, in_scope=True)
            last = state.last_answered()
            conversation = {"previous": last.user, "carry": last.cited} if last else {}
            try:
                for event in self.llm.stream(sid, text, query=search_query(in_scope_reading[0]), **conversation):
                    if event.kind == "turn":
                        turn = event.turn
                    else:
                        yield event
            except LLMUnavailable as exc:
                log.info("answering offline: %s", exc)  # the agent logged the fault itself
                fallback = f"Offline mode for this answer: {exc}"
                notice = f"{notice} {fallback}" if notice else fallback
                yield StreamEvent(kind="notice", text=fallback)
                turn = None
            # After a model's answer the offline reading only moves the session's topic along: the
            # model has judged the scope, so the store is not searched a second time.
            if turn is not None and turn.in_scope:
                plan, new_state = in_scope_reading
            else:
                plan, new_state = self.offline.understand(text, state, in_scope=None if turn is None else False)
        if turn is None:
            turn = self.offline.answer(plan, new_state)
            if self.llm is not None and hasattr(self.llm, "record_offline_turn"):
                try:
                    self.llm.record_offline_turn(sid, text, turn.answer)
                except Exception:  # the LLM's memory is a cache of ours; losing one entry is not fatal
                    log.exception("could not copy the offline turn into the LLM's memory")
        if notice:
            turn.notice = f"{notice} {turn.notice}" if turn.notice else notice
        self.sessions.append(sid, _exchange(text, turn, plan), new_state)
        turn.latency_ms = round((time.perf_counter() - started) * 1000, 2)
        yield StreamEvent(kind="turn", turn=turn)


class _Quarantined:
    """The knowledge base as the offline answerer reads it: passages carrying instructions aimed at a
    model are withheld, as the LLM agent withholds them, so an answer never quotes an injected document."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._reported: set[str] = set()

    @property
    def facts(self) -> FactSheet:
        return self._kb.facts

    def search(self, query: str, k: int = 5, *, vector: Any = None, reading: bool = False) -> list[Hit]:
        return self._clean(self._kb.search(query, k, vector=vector, reading=reading))

    def get(self, ids: list[str]) -> list[Hit]:
        return self._clean(self._kb.get(ids))

    def idf(self, term: str) -> float:
        return self._kb.idf(term)

    def embed(self, text: str) -> Any:
        return self._kb.embed(text)

    def neighbours(self, vector: Any, k: int = 10, *, traits: bool = False) -> list[Any]:
        return self._kb.neighbours(vector, k, traits=traits)

    def embed_many(self, texts: list[str]) -> Any:
        return self._kb.embed_many(texts)

    def classify(self, vector: Any, *, traits: bool = False, text: str = "") -> dict[str, float]:
        return self._kb.classify(vector, traits=traits, text=text)

    def asks(self, text: str) -> float:
        return self._kb.asks(text)

    def asks_fit(self, vector: Any) -> float:
        return self._kb.asks_fit(vector)

    def adjacent(self, ids: list[str]) -> list[str]:
        return self._kb.adjacent(ids)

    def passage_ids(self, *, article: bool = False) -> list[str]:
        return self._kb.passage_ids(article=article)

    def passage_path(self, pid: str) -> str | None:
        return self._kb.passage_path(pid)

    def passage_topics(self, ids: list[str]) -> dict[str, float]:
        return self._kb.passage_topics(ids)

    def knows(self, term: str) -> bool:
        return self._kb.knows(term)

    def respelled(self, text: str, keep: frozenset[str] = frozenset()) -> str:
        return self._kb.respelled(text, keep)

    def lexical_neighbours(self, text: str, k: int = 10) -> tuple[list[Any], float]:
        return self._kb.lexical_neighbours(text, k)

    def sentence_cosines(self, texts: list[str], vector: Any) -> dict[str, float]:
        return self._kb.sentence_cosines(texts, vector)

    def sentence_similarity(self, text: str, hits: list[Hit], vector: Any = None) -> dict[str, float]:
        return self._kb.sentence_similarity(text, hits, vector)

    def sentence_key_similarity(self, vector: Any, hits: list[Hit]) -> dict[str, float]:
        return self._kb.sentence_key_similarity(vector, hits)

    def sentence_key_lexical(self, text: str) -> dict[str, float]:
        return self._kb.sentence_key_lexical(text)

    def followup_answers(self, said: str, vector: Any) -> dict[str, float]:
        return self._kb.followup_answers(said, vector)

    def sentence_key_cosines(self, vector: Any) -> dict[str, float]:
        return self._kb.sentence_key_cosines(vector)

    def _clean(self, hits: list[Hit]) -> list[Hit]:
        out = []
        for hit in hits:
            if not guards.looks_injected(hit.text):
                out.append(hit)
            elif hit.id not in self._reported:
                self._reported.add(hit.id)
                log.warning("withheld passage %s from offline answers: it contains instructions aimed at the model", hit.id)
        return out


def _durable_checkpointer(home: Path, db: Database | None = None) -> Any:
    """The LLM's conversation memory in the database, or in SQLite beside the sessions: it survives restarts."""
    if db is not None:
        from pathwise.agent.replicas import postgres_memory

        return postgres_memory(db)
    import sqlite3

    from langgraph.checkpoint.sqlite import SqliteSaver

    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(home / "llm-memory.sqlite3"), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL survives a killed process; FULL's fsync per checkpoint cost ~10 ms a step.
    conn.execute("PRAGMA synchronous=NORMAL")
    return SqliteSaver(conn)


def _exchange(text: str, turn: Turn, plan: Any) -> Any:
    from pathwise.agent.sessions import Exchange

    return Exchange(
        user=text,
        answer=turn.answer,
        topic=plan.topic,
        path=plan.path,
        mode=turn.mode,
        cited=[c.id for c in turn.citations],
        query=plan.query,
    )
