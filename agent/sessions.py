"""Per-session conversation state: bounded, isolated, and durable in SQLite (with a path) or PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from pathwise.errors import StoreError

if TYPE_CHECKING:
    from pathwise.database import Database

MAX_SESSION_ID = 128

log = logging.getLogger("pathwise.sessions")


class Exchange(BaseModel):
    user: str
    answer: str
    topic: str | None = None
    path: str | None = None
    mode: str = "offline"
    cited: list[str] = []  # the passages the answer cited: a follow-up's context
    query: str = ""  # the question as it stands alone ("how much do Automation Specialists earn?"), for a follow-up's follow-up


class SessionState(BaseModel):
    """What a follow-up needs from earlier turns."""

    exchanges: list[Exchange] = Field(default_factory=list)
    topic: str | None = None
    path: str | None = None
    period: int | None = None  # the first month of the stretch the person asked about
    period_end: int | None = None  # its end (exclusive); None with a period: open-ended ("after 4 years")

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def last_answered(self) -> Exchange | None:
        """The last exchange answered from the article: an aside in between leaves the thread where it was."""
        return next((e for e in reversed(self.exchanges) if e.cited), None)


def clean_session_id(session_id: object) -> str:
    if not isinstance(session_id, str) or not session_id.strip():
        return "default"
    return "".join(ch for ch in session_id.strip() if ch.isprintable())[:MAX_SESSION_ID] or "default"


class SessionStore:
    """An LRU of sessions in memory, written through to SQLite when given a file.

    Each write is one transaction in WAL mode, so a killed process loses at most the turn it
    was answering. Processes may share the file: every row carries a version, a read takes the
    row again when another process has written it since, and an append reads, merges and writes
    under SQLite's write lock, so two processes answering one session keep both turns. If the
    file is deleted or replaced while the process runs (its data dir removed), the next write
    creates it again and saves every session held in memory.
    """

    def __init__(self, path: Path | None = None, *, max_sessions: int = 1000, max_turns: int = 20) -> None:
        self.max_sessions = max_sessions
        self.max_turns = max_turns
        self.path = path
        self._lock = threading.RLock()
        self._cache: OrderedDict[str, tuple[SessionState, int]] = OrderedDict()  # state, and its row's version
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
                "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL, "
                "version INTEGER NOT NULL DEFAULT 0)"
            )
            if "version" not in {row[1] for row in db.execute("PRAGMA table_info(sessions)")}:  # a file from before versions
                db.execute("ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 0")
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
                "INSERT OR REPLACE INTO sessions(id, state, updated, version) VALUES (?, ?, julianday('now'), ?)",
                [(sid, state.model_dump_json(), version) for sid, (state, version) in self._cache.items()],
            )

    def get(self, session_id: str) -> SessionState:
        with self._lock:
            state, _ = self._current(session_id)
            return state.model_copy(deep=True)

    def append(self, session_id: str, exchange: Exchange, state: SessionState) -> None:
        """Add one exchange to the session as it is now, with ``state``'s understanding of it.

        Two turns of one session answered at once, in this process or another, both read the
        same earlier state; saving either's copy whole would drop the other's exchange.
        """
        with self._lock:
            if self._db is None:
                current, version = self._current(session_id)
                self._remember(session_id, self._merged(current, exchange, state), version)
                return
            try:
                self._reconnect_if_gone()
                with self._db:  # commits, or rolls back on an error
                    self._db.execute("BEGIN IMMEDIATE")  # another process's write to the file waits for this one
                    current, version = self._current(session_id)
                    merged = self._merged(current, exchange, state)
                    self._db.execute(
                        "INSERT INTO sessions(id, state, updated, version) VALUES (?, ?, julianday('now'), ?) "
                        "ON CONFLICT(id) DO UPDATE SET state=excluded.state, updated=excluded.updated, version=excluded.version",
                        (session_id, merged.model_dump_json(), version + 1),
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"could not save the conversation: {exc}") from exc
            self._remember(session_id, merged, version + 1)

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

    def _merged(self, current: SessionState, exchange: Exchange, state: SessionState) -> SessionState:
        exchanges = [*current.exchanges, exchange][-self.max_turns :]
        return state.model_copy(update={"exchanges": exchanges})

    def _current(self, session_id: str) -> tuple[SessionState, int]:
        """The session as the file holds it now (the cached copy while its version is the file's), and that version."""
        cached = self._cache.get(session_id)
        if self._db is None:
            found = cached or (SessionState(), 0)
        else:
            try:
                row = self._db.execute("SELECT version FROM sessions WHERE id = ?", (session_id,)).fetchone()
            except sqlite3.Error as exc:
                raise StoreError(f"could not read the conversation: {exc}") from exc
            if row is None:  # never saved, or cleared by another process
                found = (SessionState(), 0)
            elif cached is not None and cached[1] == row[0]:
                found = cached
            else:
                found = self._load(session_id) or (SessionState(), row[0])
        self._remember(session_id, *found)
        return found

    def _remember(self, session_id: str, state: SessionState, version: int) -> None:
        self._cache[session_id] = (state, version)
        self._cache.move_to_end(session_id)
        while len(self._cache) > self.max_sessions:
            self._cache.popitem(last=False)

    def _load(self, session_id: str) -> tuple[SessionState, int] | None:
        assert self._db is not None
        try:
            row = self._db.execute("SELECT state, version FROM sessions WHERE id = ?", (session_id,)).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"could not read the conversation: {exc}") from exc
        if row is None:
            return None
        try:
            return SessionState.model_validate(json.loads(row[0])), row[1]
        except (ValueError, TypeError):
            log.warning("the saved state of session %s is unreadable; starting it afresh", session_id)
            return SessionState(), row[1]


class PostgresSessionStore(SessionStore):
    """Sessions in PostgreSQL, shared by every replica on the database; an LRU of them in memory.

    A read costs one round trip and carries the state only when the row's version is not the
    cached one. An append is one transaction that locks the row, merges the exchange into the
    state as it is now and bumps the version: two replicas appending to one session at once
    keep both exchanges, in the order they committed.
    """

    def __init__(self, db: Database, *, max_sessions: int = 1000, max_turns: int = 20) -> None:
        super().__init__(None, max_sessions=max_sessions, max_turns=max_turns)
        self.db = db

    def get(self, session_id: str) -> SessionState:
        with self._lock:
            cached = self._cache.get(session_id)
        with self.db.connection("read the conversation") as conn:
            row = conn.execute(
                "SELECT version, CASE WHEN version = %s THEN NULL ELSE state END FROM pathwise_sessions WHERE id = %s",
                (cached[1] if cached else -1, session_id),
            ).fetchone()
        with self._lock:
            if row is None:  # never saved, or cleared by another replica
                self._cache.pop(session_id, None)
                return SessionState()
            if row[1] is None and cached is not None:
                found = cached
            else:
                found = (_parse(session_id, row[1]), row[0])
            self._remember(session_id, *found)
            return found[0].model_copy(deep=True)

    def append(self, session_id: str, exchange: Exchange, state: SessionState) -> None:
        locked = "SELECT state, version FROM pathwise_sessions WHERE id = %s FOR UPDATE"
        with self.db.connection("save the conversation") as conn, conn.transaction():
            row = conn.execute(locked, (session_id,)).fetchone()
            if row is None:  # a new session: a row to lock first, so a first turn on another replica waits for this one
                conn.execute(
                    "INSERT INTO pathwise_sessions (id, state, version) VALUES (%s, '{}', 0) ON CONFLICT (id) DO NOTHING",
                    (session_id,),
                )
                row = conn.execute(locked, (session_id,)).fetchone()
                assert row is not None
            merged = self._merged(_parse(session_id, row[0]), exchange, state)
            version = row[1]
            conn.execute(
                "UPDATE pathwise_sessions SET state = %s, version = %s, updated = now() WHERE id = %s",
                (merged.model_dump_json(), version + 1, session_id),
            )
        with self._lock:
            self._remember(session_id, merged, version + 1)

    def reset(self, session_id: str) -> None:
        with self._lock:
            self._cache.pop(session_id, None)
        with self.db.connection("clear the conversation") as conn:
            conn.execute("DELETE FROM pathwise_sessions WHERE id = %s", (session_id,))


def _parse(session_id: str, text: str) -> SessionState:
    try:
        return SessionState.model_validate_json(text)
    except ValueError:
        log.warning("the saved state of session %s is unreadable; starting it afresh", session_id)
        return SessionState()
