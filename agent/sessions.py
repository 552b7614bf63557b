"""Per-session conversation state: bounded, isolated, and (with a path) durable in SQLite."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from pydantic import BaseModel, Field

from pathwise.errors import StoreError

MAX_SESSION_ID = 128

log = logging.getLogger("pathwise.sessions")


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
    """An LRU of sessions in memory, written through to SQLite when given a file.

    Each write is one transaction in WAL mode, so a killed process loses at most the turn it
    was answering. If the file is deleted or replaced while the process runs (its data dir
    removed), the next write creates it again and saves every session held in memory.
    """

    def __init__(self, path: Path | None = None, *, max_sessions: int = 1000, max_turns: int = 20) -> None:
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self.path = path
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, SessionState] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file we have open
        if path is not None:
            self._connect()

    def _connect(self) -> None:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL)"
            )
            db.commit()
            info = os.stat(self.path)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the session database {self.path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"cannot open the session database {self.path}: {exc.strerror or exc}") from exc
        self._db, self._file = db, (info.st_dev, info.st_ino)

    def _reconnect_if_gone(self) -> None:
        """Called with the lock held, before a write: is our file still the one at ``path``?"""
        if self.path is None or self._db is None:
            return
        try:
            info = os.stat(self.path)
            if (info.st_dev, info.st_ino) == self._file:
                return
        except OSError:
            pass
        log.warning("the session database %s was deleted or replaced; writing it again from memory", self.path)
        old, self._db = self._db, None
        old.close()
        self._connect()
        assert self._db is not None
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO sessions(id, state, updated) VALUES (?, ?, julianday('now'))",
                [(sid, state.model_dump_json()) for sid, state in self._cache.items()],
            )

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
            self._save(session_id, state)

    def append(self, session_id: str, exchange: Exchange, state: SessionState) -> None:
        """Add one exchange to the session as it is now, with ``state``'s understanding of it.

        Two turns of one session answered at once both read the same earlier state; saving
        either's copy whole would drop the other's exchange.
        """
        with self._lock:
            current = self._cache.get(session_id) or self._load(session_id) or SessionState()
            merged = state.model_copy(update={"exchanges": [*current.exchanges, exchange]})
            self.put(session_id, merged)

    def _save(self, session_id: str, state: SessionState) -> None:
        if self._db is None:
            return
        try:
            self._reconnect_if_gone()
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
                try:
                    self._reconnect_if_gone()
                    with self._db:
                        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
                except sqlite3.Error as exc:
                    raise StoreError(f"could not clear the conversation: {exc}") from exc

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
