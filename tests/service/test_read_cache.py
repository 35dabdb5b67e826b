"""The read cache serves a result again only while the database is unchanged: any commit, from this process or
another, on SQLite or PostgreSQL, makes the next read compute afresh; concurrent misses compute once."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from service.db import make_engine
from service.read_cache import ReadCache


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("make_database")() if request.param == "postgresql" else \
        f"sqlite:///{tmp_path / 'cache.sqlite'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE numbers (n INTEGER)"))
    yield engine
    engine.dispose()


def counter(calls: list[int]) -> Callable[[Session], int]:
    def count(session: Session) -> int:
        calls.append(1)
        return session.execute(text("SELECT count(*) FROM numbers")).scalar_one()

    return count


def insert(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO numbers VALUES (1)"))


def test_results_follow_every_commit(engine: Engine) -> None:
    cache, calls = ReadCache(), []
    for expected, computed, change in ((0, 1, None), (0, 1, None), (1, 2, insert), (1, 2, None), (2, 3, insert)):
        if change is not None:
            change(engine)
        with Session(engine) as session:  # a new transaction each time, as every request has
            assert cache.get(session, "count", counter(calls)) == expected
        assert len(calls) == computed


def test_a_caller_with_an_older_snapshot_gets_the_current_answer(engine: Engine) -> None:
    """The value is computed in a session of the cache's own, not in the caller's (whose SQLite snapshot dates
    from its first read)."""
    cache, calls = ReadCache(), []
    with Session(engine) as session, session.begin():
        session.execute(text("SELECT count(*) FROM numbers"))  # the caller's snapshot starts here
        insert(engine)
        assert cache.get(session, "count", counter(calls)) == 1


def test_a_commit_from_another_process_is_seen(engine: Engine) -> None:
    cache, calls = ReadCache(), []
    with Session(engine) as session:
        assert cache.get(session, "count", counter(calls)) == 0
    url = engine.url.render_as_string(hide_password=False)
    code = (f"from sqlalchemy import create_engine, text; e = create_engine({url!r}); "
            "c = e.connect(); c.execute(text('INSERT INTO numbers VALUES (1)')); c.commit()")
    subprocess.run([sys.executable, "-c", code], check=True)
    with Session(engine) as session:
        assert cache.get(session, "count", counter(calls)) == 1
    assert len(calls) == 2


def test_reads_elsewhere_keep_the_result(engine: Engine) -> None:
    cache, calls = ReadCache(), []
    with Session(engine) as session:
        cache.get(session, "count", counter(calls))
    with engine.connect() as connection:  # a reader commits nothing: the token stays
        connection.execute(text("SELECT count(*) FROM numbers"))
        connection.commit()
    with Session(engine) as session:
        cache.get(session, "count", counter(calls))
    assert len(calls) == 1


def test_concurrent_misses_compute_once(tmp_path: Path) -> None:
    cache, calls, release = ReadCache(), [], threading.Event()

    def slow() -> str:
        calls.append(1)
        release.wait()
        return "value"

    results: list[str] = []
    leader = threading.Thread(target=lambda: results.append(cache.fill("key", 1, slow)))
    leader.start()
    while not cache.flights:  # the leader is computing
        leader.join(0.01)
    followers = [threading.Thread(target=lambda: results.append(cache.fill("key", 1, slow))) for _ in range(7)]
    for thread in followers:
        thread.start()
    release.set()
    for thread in (leader, *followers):
        thread.join()
    assert results == ["value"] * 8 and len(calls) == 1
    assert cache.fill("key", 2, lambda: "newer") == "newer"  # another token: computed again


def test_in_memory_sqlite_is_never_cached() -> None:
    engine, cache, calls = create_engine("sqlite://"), ReadCache(), []  # one database per connection
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE numbers (n INTEGER)"))
    with Session(engine) as session:
        cache.get(session, "count", counter(calls))
        cache.get(session, "count", counter(calls))
    assert len(calls) == 2
