"""Engines and sessions for SQLite and PostgreSQL.

SQLite runs in WAL mode with a busy timeout and foreign keys on. Its transactions start with a plain BEGIN
(readers never block each other); `write_session` starts with BEGIN IMMEDIATE instead, which takes the write
lock at once, so a read-then-write transaction can neither deadlock nor lose an update. On PostgreSQL the same
transactions lock their rows with SELECT ... FOR UPDATE (`with_for_update`, which SQLite ignores).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.settings import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Pooled connections per process. The read cache keeps one for itself (read_cache.Source); a request holds at
# most two at once (its read session and either a write session, in a write endpoint, or a session of the read
# cache, in a read one), and the API lets at most CONCURRENT_SESSIONS requests hold a session (api/deps.py): so
# no request waits for a connection that only another waiting request could free.
POOL_SIZE, MAX_OVERFLOW = 10, 20
CONCURRENT_SESSIONS = (POOL_SIZE + MAX_OVERFLOW - 1) // 2


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
                           connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":  # every statement on its own (read_cache.Source)
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_immediate", False) else "BEGIN")

    return engine


_FACTORIES: dict[str, tuple[Engine, sessionmaker[Session], sessionmaker[Session]]] = {}


def _factories(url: str) -> tuple[Engine, sessionmaker[Session], sessionmaker[Session]]:
    if url not in _FACTORIES:
        engine = make_engine(url)
        reads = sessionmaker(engine, expire_on_commit=False)
        writes = sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)
        _FACTORIES[url] = engine, reads, writes
    return _FACTORIES[url]


def get_engine(settings: Settings | None = None) -> Engine:
    return _factories((settings or get_settings()).database_url)[0]


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with _factories((settings or get_settings()).database_url)[1]() as session, session.begin():
        yield session


@contextmanager
def write_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for read-modify-write transactions that lock what they read (see the module docstring)."""
    with _factories((settings or get_settings()).database_url)[2]() as session, session.begin():
        yield session


def forget_inherited_connections() -> None:
    """In a freshly forked process: never reuse the parent's pooled connections (Celery prefork children)."""
    for engine, _, _ in _FACTORIES.values():
        engine.dispose(close=False)
