"""What app replicas sharing one PostgreSQL database need beyond the stores: the LLM's memory
(LangGraph checkpoints) in the database, and one turn of a conversation at a time across them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pathwise.errors import LLMUnavailable, StoreError

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from pathwise.agent.models import StreamEvent, Turn
    from pathwise.database import Database

log = logging.getLogger("pathwise.replicas")


def postgres_memory(db: Database) -> BaseCheckpointSaver[str]:
    """LangGraph's ``PostgresSaver`` on the process's pool: each write one transaction, each fault a ``StoreError``."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg_pool import PoolTimeout

    from pathwise.database import reason

    class Memory(PostgresSaver):
        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            try:
                with super()._cursor(pipeline=pipeline) as cur:
                    yield cur
            except (psycopg.Error, PoolTimeout) as exc:
                doing = "save" if pipeline else "read"
                raise StoreError(f"could not {doing} the model's memory of the conversation: {reason(exc)}") from None

    memory = Memory(db.pool)
    # Without pipeline mode a write's statements run in one transaction: a checkpoint is saved whole or not at all.
    memory.supports_pipeline = False
    return memory


class OneTurnAtATime:
    """The LLM agent, answering one turn of a session at a time across every replica on the database.

    LangGraph reads a thread's last checkpoint as a turn starts and writes the next as it ends;
    two turns of one conversation on two replicas at once would both start from the same
    checkpoint, and the later write would drop the earlier turn. A turn holds the session's
    advisory lock from before it reads the memory until its own write is in.
    """

    def __init__(self, agent: Any, db: Database, *, wait: float) -> None:
        self._agent = agent
        self._db = db
        self._wait = wait

    def __getattr__(self, name: str) -> Any:
        return getattr(self._agent, name)

    @contextmanager
    def _held(self, session_id: str) -> Iterator[None]:
        from pathwise.database import TurnBusy

        try:
            with self._db.turn_lock(f"llm-memory:{session_id}", self._wait):
                yield
        except TurnBusy as exc:
            raise LLMUnavailable(str(exc)) from None

    def stream(self, session_id: str, message: str, **kwargs: Any) -> Iterator[StreamEvent]:
        with self._held(session_id):
            try:
                yield from self._agent.stream(session_id, message, **kwargs)
            finally:
                self._agent.settle(session_id)  # the turn's write is in (or rolled back) before the lock goes

    def reply(self, session_id: str, message: str) -> Turn:
        from pathwise.agent.llm import model_turn

        return model_turn(self.stream(session_id, message))

    def record_offline_turn(self, session_id: str, user_text: str, answer_text: str) -> None:
        with self._held(session_id):
            self._agent.record_offline_turn(session_id, user_text, answer_text)
