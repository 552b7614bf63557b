"""PostgreSQL, for the state that app replicas share (``PATHWISE_DATABASE_URL``): one connection pool
a process, and a versioned schema that every replica migrates on start, one at a time."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pathwise.errors import ConfigError, StoreError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

    from pathwise.config import Settings

log = logging.getLogger("pathwise.database")

# Each entry brings the schema from version i to i + 1; entries are only ever appended.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE pathwise_sessions (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,                  -- the SessionState as JSON
        version BIGINT NOT NULL,              -- +1 a write: what a replica's cached copy is checked against
        updated TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE TABLE pathwise_feedback (
        id BIGSERIAL PRIMARY KEY,
        created TIMESTAMPTZ NOT NULL DEFAULT now(),
        session TEXT NOT NULL,                -- the browser session's random id, nothing about the person
        turn INTEGER NOT NULL,                -- 0-based index of the answer in the conversation
        liked BOOLEAN NOT NULL,
        mode TEXT NOT NULL,                   -- "llm" or "offline"
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        citations TEXT NOT NULL               -- the cited passage ids, space-separated
    );
    """,
)

_SCHEMA_LOCK = 0x7061746877697365  # "pathwise": the advisory lock replicas take to migrate one at a time


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def where(url: str) -> str:
    """The URL without its password, for messages."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # a malformed URL: say nothing of what it holds
        return "the database in PATHWISE_DATABASE_URL"
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def reason(exc: BaseException) -> str:
    """What went wrong, in one line."""
    from psycopg_pool import PoolTimeout

    if isinstance(exc, PoolTimeout):
        return "no database connection came free in time (is PostgreSQL up and reachable?)"
    text = " ".join(str(exc).split()).removeprefix("connection failed: ")
    return text[:300] or type(exc).__name__


class Database:
    """A pool of connections to one PostgreSQL database, its schema migrated to ``MIGRATIONS``.

    Every wait is bounded by ``timeout``: for a connection, for a row or advisory lock, for a
    statement. A connection is checked as it is handed out, so after the server restarts the
    next request gets a fresh one instead of a dead one; the pool stops retrying a lost
    connection after ``timeout`` too, so its back-off never outlasts the next request's wait.
    """

    def __init__(self, url: str, *, timeout: float = 10.0, size: int = 10) -> None:
        import psycopg
        from psycopg_pool import ConnectionPool, PoolTimeout

        self.url, self.timeout, self.where = url, timeout, where(url)
        waits = f"-c lock_timeout={int(timeout * 1000)} -c statement_timeout={int(timeout * 3000)}"
        kwargs = {"autocommit": True, "prepare_threshold": 0, "connect_timeout": max(1, round(timeout)), "options": waits}

        def pool(name: str, min_size: int, max_size: int) -> ConnectionPool[psycopg.Connection[Any]]:
            return ConnectionPool(
                url,
                min_size=min_size,
                max_size=max_size,
                timeout=timeout,
                kwargs=kwargs,
                open=False,
                check=ConnectionPool.check_connection,
                reconnect_timeout=timeout,
                name=name,
            )

        self.pool = pool("pathwise", 1, size)
        # Turn locks are held while a turn runs: a pool of their own, so they never starve the writes.
        self.locks = pool("pathwise-locks", 0, max(size, 16))
        try:  # one direct attempt first, for the server's own words (refused, unknown database, bad password)
            psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()
        except psycopg.Error as exc:
            raise StoreError(f"cannot reach the database at {self.where}: {reason(exc)}") from None
        try:
            self.pool.open(wait=True, timeout=timeout)
        except PoolTimeout:
            self.pool.close()
            raise StoreError(f"cannot reach the database at {self.where} within {timeout:g} s") from None
        self.locks.open(wait=False)
        try:
            self.migrate()
        except StoreError:
            self.close()
            raise

    @contextmanager
    def connection(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; any database fault becomes one ``StoreError`` that says what failed."""
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise StoreError(f"could not {doing}: {reason(exc)}") from None

    def migrate(self) -> None:
        """Bring the schema to this version, and the LLM memory's tables to theirs, once.

        Replicas starting together take turns: each waits for the advisory lock, so exactly one
        creates what is missing and the others find it done.
        """
        from langgraph.checkpoint.postgres import PostgresSaver

        with self.connection("prepare the database") as conn:
            self._lock_schema(conn)
            try:
                with conn.transaction():
                    conn.execute("CREATE TABLE IF NOT EXISTS pathwise_schema (version INTEGER NOT NULL)")
                    row = conn.execute("SELECT version FROM pathwise_schema").fetchone()
                    current = row[0] if row else 0
                    if current > len(MIGRATIONS):
                        raise StoreError(
                            f"the database at {self.where} has schema version {current}, newer than this pathwise's "
                            f"{len(MIGRATIONS)}: upgrade pathwise"
                        )
                    for sql in MIGRATIONS[current:]:
                        conn.execute(sql, prepare=False)  # several statements: sent as one simple query
                    if row is None:
                        conn.execute("INSERT INTO pathwise_schema (version) VALUES (%s)", (len(MIGRATIONS),))
                    elif current < len(MIGRATIONS):
                        conn.execute("UPDATE pathwise_schema SET version = %s", (len(MIGRATIONS),))
                    if current < len(MIGRATIONS):
                        log.info("database schema at %s: version %d -> %d", self.where, current, len(MIGRATIONS))
                # Outside a transaction: its migrations create indexes concurrently.
                PostgresSaver(conn).setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SCHEMA_LOCK,))

    def _lock_schema(self, conn: psycopg.Connection[Any]) -> None:
        # Polled, not waited for: a waiting statement would hold a snapshot that the holder's
        # CREATE INDEX CONCURRENTLY must wait out.
        deadline = time.monotonic() + max(60.0, self.timeout)
        while not conn.execute("SELECT pg_try_advisory_lock(%s)", (_SCHEMA_LOCK,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() > deadline:
                raise StoreError(f"another replica has been migrating the database at {self.where} for over a minute")
            time.sleep(0.1)  # the polling interval while another replica migrates

    @contextmanager
    def turn_lock(self, name: str, wait: float) -> Iterator[None]:
        """Hold ``name``'s advisory lock, across every replica, for the block: one turn of a session at a time.

        The lock lives as long as its connection: a replica killed mid-turn releases it at once.
        Waiting longer than ``wait`` seconds raises ``TurnBusy``.
        """
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            conn = self.locks.getconn()
        except PoolTimeout as exc:
            raise StoreError(f"could not start the turn: {reason(exc)}") from None
        try:
            try:
                # The pool's statement timeout would cut a long wait short, and say less.
                conn.execute(
                    f"SET lock_timeout = {int(wait * 1000)}; SET statement_timeout = {int(wait * 1000) + 5000}", prepare=False
                )
                conn.execute("SELECT pg_advisory_lock(%s)", (lock_key(name),))
            except psycopg.errors.LockNotAvailable:
                raise TurnBusy(f"another turn of this conversation is still being answered after {wait:g} s") from None
            except psycopg.Error as exc:
                raise StoreError(f"could not start the turn: {reason(exc)}") from None
            try:
                yield
            finally:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))
                except psycopg.Error:  # the connection is gone, and the lock with it
                    log.warning("could not release a turn lock: the database connection was lost")
        finally:
            self.locks.putconn(conn)

    def close(self) -> None:
        self.locks.close()
        self.pool.close()


class TurnBusy(StoreError):
    """Another replica is still answering a turn of the same conversation."""


_open: dict[tuple[str, float, int], Database] = {}
_open_lock = threading.Lock()


def connect(settings: Settings) -> Database:
    """The process's database for these settings, opened (and migrated) on first use."""
    assert settings.database_url is not None
    try:  # the postgres extra: 14 MB that a single server never needs
        import langgraph.checkpoint.postgres  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"PATHWISE_DATABASE_URL needs the postgres extra ({exc}): pip install -e '.[postgres]'") from None
    key = (settings.database_url, settings.database_timeout, settings.database_pool_size)
    with _open_lock:
        db = _open.get(key)
        if db is None or db.pool.closed:
            db = _open[key] = Database(settings.database_url, timeout=settings.database_timeout, size=settings.database_pool_size)
        return db
