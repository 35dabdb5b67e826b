"""Results of read queries and whole read responses, kept while the database is unchanged.

The leaderboard of a suite, its GAP/GCP twins and its pinned baseline read every evaluation of the suite, so
their cost grows with the board; and pages and the JSON API serve the same few reads over and over, where
each request's own work (queries, rendering, encoding) costs more than the answer is worth. Each result is
stored with the database's change token, read *before* the query ran, and served again only while the token
is the same. The token moves with every commit by anyone (any process, any table), so correctness needs no
list of the writes that matter:

- SQLite: `PRAGMA data_version` on a connection of our own that never writes. It changes whenever another
  connection, in any process, commits (the pragma exists for exactly this).
- PostgreSQL: the current snapshot, `pg_current_snapshot()`. Two equal snapshots see exactly the same committed
  transactions, hence the same rows.

A value is computed in a session of the cache's own, begun after its token was read, so it holds every commit
the token stands for (a caller's session may hold an older snapshot: SQLite keeps a transaction's first one).
A commit landing between the token read and the query leaves a newer result stored under the older token; the
next read finds that token outdated and computes again: needless work at worst, never a stale answer. Other
databases (and in-memory SQLite, private to each connection) are not cached. Concurrent misses of one key
compute once and share the result. Results are shared between requests: callers must not modify them.

`cached` wraps a query function; `cached_response` wraps a read route, whose cache hits are answered on the
event loop without a trip through the thread pool.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, Executable, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstanceState, Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

P = ParamSpec("P")
R = TypeVar("R")
MAX_ENTRIES = 256
MISSING = object()
TOKEN = "read_cache.token"  # in Session.info: the token a session of the cache's own was begun after


class Source:
    """One database and its change token (see the module docstring), read on a connection of our own, outside any
    transaction (autocommit); other single-statement reads may use that connection too (`scalar`).

    A read on it is a local call on SQLite and one short round trip on PostgreSQL — a pooled session's would
    add a ping, BEGIN and COMMIT — quick enough to make on the event loop: a cache hit then needs no thread.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url
        self.lock = threading.Lock()
        self.connection: Connection | None = None

    @property
    def cacheable(self) -> bool:
        name, database = self.url.get_backend_name(), self.url.database
        return name == "postgresql" or (name == "sqlite" and database not in (None, "", ":memory:"))

    def token(self) -> Hashable:
        query = "PRAGMA data_version" if self.url.get_backend_name() == "sqlite" else \
            "SELECT pg_current_snapshot()::text"
        return self._run(lambda connection: connection.exec_driver_sql(query).scalar())  # type: ignore[no-any-return]

    def scalar(self, statement: Executable, parameters: dict[str, Any]) -> Any:
        """The first column of the first row of `statement`, read on its own (no transaction)."""
        return self._run(lambda connection: connection.execute(statement, parameters).scalar())

    def _run(self, read: Callable[[Connection], R]) -> R:
        with self.lock:
            try:
                return read(self._connection())
            except DBAPIError:  # a broken connection (a restarted server): once more, on a new one
                if self.connection is not None:
                    self.connection.invalidate()
                    self.connection.close()
                self.connection = None
                return read(self._connection())

    def _connection(self) -> Connection:
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.connection


class ReadCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.lock = threading.Lock()
        self.entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self.flights: dict[tuple[Hashable, Hashable], Future[Any]] = {}
        self.sources: dict[Hashable, Source] = {}

    def source(self, session: Session) -> Source:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        where = (os.getpid(), engine.url)  # a forked child opens its own SQLite connection
        with self.lock:
            if where not in self.sources:
                self.sources[where] = Source(engine)
            return self.sources[where]

    def lookup(self, key: Hashable, token: Hashable) -> Any:
        """The value stored under `token`, or MISSING."""
        with self.lock:
            found = self.entries.get(key)
            if found is None or found[0] != token:
                return MISSING
            self.entries.move_to_end(key)
            return found[1]

    def fill(self, key: Hashable, token: Hashable, compute: Callable[[], R]) -> R:
        """The value under `token`: stored, being computed by another thread (waited for), or computed here."""
        with self.lock:
            found = self.entries.get(key)
            if found is not None and found[0] == token:
                return found[1]  # type: ignore[no-any-return]
            flight = self.flights.get((key, token))
            leader = flight is None
            if flight is None:
                flight = self.flights[key, token] = Future()
        if not leader:
            return flight.result()  # type: ignore[no-any-return]
        try:
            value = compute()
        except BaseException as error:
            flight.set_exception(error)
            raise
        finally:
            with self.lock:
                del self.flights[key, token]
        with self.lock:
            self.entries[key] = (token, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        flight.set_result(value)
        return value

    def get(self, session: Session, key: Hashable, compute: Callable[[Session], R]) -> R:
        """`compute(session)` for `key`, run in a session of the cache's own (or in `session` itself when that
        is one: nested cached reads share it)."""
        source = self.source(session)
        if not source.cacheable:
            return compute(session)
        token = session.info.get(TOKEN)
        if token is not None:
            return self.fill((source, key), token, lambda: compute(session))
        token = source.token()
        return self.fill((source, key), token, lambda: in_own_session(session, token, compute))


def in_own_session(session: Session, token: Hashable, compute: Callable[[Session], R]) -> R:
    """`compute` in a new read session on `session`'s database, begun after `token` was read."""
    with Session(session.get_bind(), expire_on_commit=False) as own, own.begin():
        own.info[TOKEN] = token
        return compute(own)


CACHE = ReadCache()


def _key_part(value: Any) -> Hashable:
    """Mapped objects (a Suite) by class and primary key; anything else as it is."""
    state = inspect(value, raiseerr=False)
    return (type(value).__name__, state.identity) if isinstance(state, InstanceState) else value


def cached(query: Callable[P, R]) -> Callable[P, R]:
    """Caches `query(session, *args)`, keyed by its name and its other arguments."""

    @functools.wraps(query)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session)
        key = (query.__qualname__, *map(_key_part, args[1:]), *sorted((k, _key_part(v)) for k, v in kwargs.items()))
        return CACHE.get(session, key, lambda own: query(own, *args[1:], **kwargs))  # type: ignore[arg-type]

    return wrapper


@dataclass(frozen=True)
class _StoredResponse:
    body: bytes
    status_code: int
    headers: tuple[tuple[bytes, bytes], ...]


def cached_response(route: Callable[..., Any]) -> Callable[..., Any]:
    """Caches what a (sync) read route returns, by path, query string and, where the route takes one, viewer.

    The route must take `request` and `session` parameters and depend on nothing else that changes between
    requests: the answer is then fully given by the stored data and the address. The wrapper is async: a hit
    costs no thread, and the route runs in the thread pool on a miss. A Response is kept as its body, status
    and headers and rebuilt for every request (FastAPI attaches per-request state to it).
    """

    def compute(kwargs: dict[str, Any], session: Session) -> Any:
        value = route(**{**kwargs, "session": session})
        if isinstance(value, Response):
            return _StoredResponse(bytes(value.body), value.status_code, tuple(value.raw_headers))
        return value

    @functools.wraps(route)
    async def wrapper(**kwargs: Any) -> Any:
        session, url = kwargs["session"], kwargs["request"].url
        source = CACHE.source(session)
        if not source.cacheable:
            value = await run_in_threadpool(compute, kwargs, session)
        else:
            key, token = (source, "response", url.path, url.query, kwargs.get("viewer")), source.token()
            value = CACHE.lookup(key, token)
            if value is MISSING:
                value = await run_in_threadpool(CACHE.fill, key, token, functools.partial(
                    in_own_session, session, token, functools.partial(compute, kwargs)))
        if not isinstance(value, _StoredResponse):
            return value
        response = Response(value.body, status_code=value.status_code)
        response.raw_headers = list(value.headers)
        return response

    return wrapper
