"""Per-session conversation state: bounded, isolated, and (with a path) durable in SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from pydantic import BaseModel, Field

from pathwise.errors import StoreError

MAX_SESSION_ID = 128


class Exchange(BaseModel):
    user: str
    answer: str
    topic: str | None = None
    path: str | None = None
    mode: str = "offline"


class SessionState(BaseModel):
    """What a follow-up needs from earlier turns."""

    exchanges: list[Exchange] = Field(default_factory=list)
    topic: str | None = None
    path: str | None = None
    period: int | None = None  # the first month of the stretch the person asked about
    period_end: int | None = None  # its end (exclusive); None with a period: open-ended ("after 4 years")

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None


def clean_session_id(session_id: object) -> str:
    if not isinstance(session_id, str) or not session_id.strip():
        return "default"
    return "".join(ch for ch in session_id.strip() if ch.isprintable())[:MAX_SESSION_ID] or "default"


class SessionStore:
    """An LRU of sessions in memory, written through to SQLite when given a file."""

    def __init__(self, path: Path | None = None, *, max_sessions: int = 1000, max_turns: int = 20) -> None:
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, SessionState] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)"
                )
                self._db.commit()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open the session database {path}: {exc}") from exc

    def get(self, session_id: str) -> SessionState:
        with self._lock:
            state = self._cache.get(session_id)
            if state is None:
                state = self._load(session_id) or SessionState()
                self._cache[session_id] = state
            self._cache.move_to_end(session_id)
            while len(self._cache) > self.max_sessions:
                self._cache.popitem(last=False)
            return state.model_copy(deep=True)

    def put(self, session_id: str, state: SessionState) -> None:
        state.exchanges = state.exchanges[-self.max_turns :]
        with self._lock:
            self._cache[session_id] = state
            self._cache.move_to_end(session_id)
            if self._db is not None:
                try:
                    with self._db:
                        self._db.execute(
                            "INSERT INTO sessions(id, state, updated) VALUES (?, ?, julianday('now')) "
                            "ON CONFLICT(id) DO UPDATE SET state=excluded.state, updated=excluded.updated",
                            (session_id, state.model_dump_json()),
                        )
                except sqlite3.Error as exc:
                    raise StoreError(f"could not save the conversation: {exc}") from exc

    def reset(self, session_id: str) -> None:
        with self._lock:
            self._cache.pop(session_id, None)
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def _load(self, session_id: str) -> SessionState | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the conversation: {exc}") from exc
        if row is None:
            return None
        try:
            return SessionState.model_validate(json.loads(row[0]))
        except (ValueError, TypeError):
            return None
