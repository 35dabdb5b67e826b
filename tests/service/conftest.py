"""Fixtures of the service tests: PostgreSQL and Redis (skipped with a reason when unreachable; `.ci/run`
starts them), throwaway databases, tiny real-photo datasets and checkpoints."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path

import psycopg
import pytest
import redis
from service_data import write_c_crops, write_c_real, write_p, write_paper_pickle, write_safetensors, write_val

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/{db}"
REDIS_DB = 13  # a database number of its own, flushed before and after


@pytest.fixture(scope="session")
def make_database() -> Iterator[Callable[[], str]]:
    """Creates throwaway PostgreSQL databases (dropped at the end); skips when PostgreSQL is unreachable."""
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, trust auth): {error}")
    created: list[str] = []

    def make() -> str:
        name = f"cpbench_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    yield make
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        for name in created:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = REDIS.format(db=REDIS_DB)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379: {error}")
    client.flushdb()
    yield url
    client.flushdb()


class Data:
    """The datasets and checkpoints, each written on first use (once per session)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @cached_property
    def val(self) -> Path:  # 4 classes x 1 photo
        return write_val(self.root / "val")

    @cached_property
    def c15(self) -> Path:  # the 15 corruptions x 5 severities, clean crops standing in
        return write_c_crops(self.root / "c15", self.val)

    @cached_property
    def val12(self) -> Path:  # 4 classes x 3 photos: shards long enough to be caught mid-run
        return write_val(self.root / "val12", per_class=3)

    @cached_property
    def c12(self) -> Path:  # fog, severities 1-3, over val12
        return write_c_crops(self.root / "c12", self.val12, ("fog",), (1, 2, 3))

    @cached_property
    def c2(self) -> Path:  # 2 really corrupted corruptions x 5 severities
        return write_c_real(self.root / "c2", self.root / "val-c2", ("gaussian_noise", "contrast"))

    @cached_property
    def p(self) -> Path:  # the 10 test perturbations, 2 clips of 4 frames each
        return write_p(self.root / "p")

    @cached_property
    def gap(self) -> Path:
        return write_safetensors(self.root / "resnet18.safetensors", "resnet18")

    @cached_property
    def gcp(self) -> Path:  # the paper's pickle layout: module. prefix, arch field
        return write_paper_pickle(self.root / "ResNet18_GCP.pth.tar", "resnet18_gcp", "resnet18_mpncov")


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    return Data(tmp_path_factory.mktemp("service-data"))
