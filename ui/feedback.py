"""Thumbs up/down on answers, kept in SQLite in the data dir (WAL, so readers never block the app), or in PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pathwise.errors import StoreError

if TYPE_CHECKING:
    from pathwise.config import Settings
    from pathwise.database import Database

FILE_NAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,          -- UTC, ISO 8601
    session TEXT NOT NULL,          -- the browser session's random id, nothing about the person
    turn INTEGER NOT NULL,          -- 0-based index of the answer in the conversation
    liked INTEGER NOT NULL,         -- 1 thumbs up, 0 thumbs down
    mode TEXT NOT NULL,             -- "llm" or "offline"
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL         -- the cited passage ids, space-separated
)
"""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the feedback file {self.path}: {exc}") from exc

    def record(self, *, session: str, turn: int, liked: bool, mode: str, question: str, answer: str, citations: list[str]) -> int:
        """Saves one vote and returns its row id."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            session,
            turn,
            int(liked),
            mode,
            question,
            answer,
            " ".join(citations),
        )
        try:
            with self._lock:
                cur = self._db.execute(
                    "INSERT INTO feedback (created, session, turn, liked, mode, question, answer, citations)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                self._db.commit()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save feedback to {self.path}: {exc}") from exc
        assert cur.lastrowid is not None
        return cur.lastrowid

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresFeedbackStore:
    """The same votes in PostgreSQL (``PATHWISE_DATABASE_URL``), from every replica."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, *, session: str, turn: int, liked: bool, mode: str, question: str, answer: str, citations: list[str]) -> int:
        """Saves one vote and returns its row id."""
        with self.db.connection("save feedback") as conn:
            row = conn.execute(
                "INSERT INTO pathwise_feedback (session, turn, liked, mode, question, answer, citations)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (session, turn, liked, mode, question, answer, " ".join(citations)),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        """The pool is the process's, shared with the sessions."""


def open_feedback(settings: Settings) -> FeedbackStore | PostgresFeedbackStore:
    """Feedback in the database when one is configured, else in the data dir."""
    if settings.database_url:
        from pathwise.database import connect

        return PostgresFeedbackStore(connect(settings))
    return FeedbackStore(Path(settings.home) / FILE_NAME)
