"""A cpbench deployment for tests: real processes (`cpbench serve`, `cpbench worker`, `cpbench beat`) started
with environment settings, a client, and direct database access for assertions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy import select

from service.catalog import SuiteRequest, add_dataset, add_suite
from service.client import TERMINAL, Client
from service.db import session_scope, write_session
from service.models import Shard
from service.settings import Settings
from service.tokens import create_token

CPBENCH = str(Path(sys.executable).with_name("cpbench"))
T = TypeVar("T")

# Fast heartbeats and a reaper that runs often; staleness well above the slowest gap between heartbeats
# (loading a model on a busy 2-core machine), so that no live run is ever taken for dead.
TEST_ENV = {
    "CPBENCH_WORKER_LOADER_WORKERS": "0",
    "CPBENCH_WORKER_BATCH_SIZE": "2",
    "CPBENCH_WORKER_DEVICE": "cpu",
    "CPBENCH_HEARTBEAT_INTERVAL_S": "0",
    "CPBENCH_HEARTBEAT_STALE_S": "30",
    "CPBENCH_REAPER_INTERVAL_S": "2",
    "CPBENCH_QUEUED_STALE_S": "600",
    "CPBENCH_SANDBOX_TIMEOUT_S": "120",
    "OMP_NUM_THREADS": "1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Deployment:
    def __init__(self, home: Path, database_url: str | None = None, broker_url: str | None = None,
                 **overrides: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**TEST_ENV, "CPBENCH_HOME": str(home), "CPBENCH_API_PORT": str(self.port),
               "CPBENCH_SHARD_QUEUE": f"shards-{self.port}", "CPBENCH_CONTROL_QUEUE": f"control-{self.port}"}
        if database_url:
            env["CPBENCH_DATABASE_URL"] = database_url
        if broker_url:
            env["CPBENCH_BROKER_URL"] = broker_url
        env.update(overrides)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("CPBENCH_")}, **env}
        self.settings = Settings(**{k.removeprefix("CPBENCH_").lower(): v for k, v in env.items()
                                    if k.startswith("CPBENCH_")})
        self.settings.ensure_home()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    # processes
    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.home / f"{name}.log").open("ab")
        process = subprocess.Popen([CPBENCH, *args], env=self.env, cwd=self.home, stdout=log, stderr=log,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def serve(self, *args: str) -> None:
        self.start("serve", "serve", *args)
        self.wait_for(self._api_up, 90, "the API to answer /healthz")

    def worker(self, name: str = "worker", *args: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "--concurrency", "1", *args)

    def _api_up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        process = self.processes.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    # commands and clients
    def cli(self, *args: str, token: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "CPBENCH_URL": self.url, **({"CPBENCH_TOKEN": token} if token else {})}
        done = subprocess.run([CPBENCH, *args], env=env, cwd=self.home, capture_output=True, text=True,
                              timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"cpbench {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def create_token(self, name: str, admin: bool = False) -> str:
        """Through the CLI, as an admin would."""
        done = self.cli("admin", "create-token", name, *(["--admin"] if admin else []))
        return done.stdout.strip().splitlines()[-1]

    # the same administration in this process (the CLI spends seconds importing torch on every call)
    def token(self, name: str, admin: bool = False) -> str:
        with write_session(self.settings) as session:
            return create_token(session, name, admin)

    def add_dataset(self, kind: str, name: str, path: Path) -> None:
        with write_session(self.settings) as session:
            add_dataset(session, kind, name, str(path))

    def add_suite(self, name: str, kind: str, dataset: str, **options: Any) -> None:
        with write_session(self.settings) as session:
            add_suite(session, SuiteRequest(name=name, kind=kind, dataset=dataset, **options))

    def client(self, token: str | None = None) -> Client:
        return Client(self.url, token)

    # waiting
    def wait_for(self, check: Callable[[], T], timeout: float, what: str, every: float = 0.2) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {name}.log ---\n{self.log(name)}" for name in self.processes)
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{logs}")
            time.sleep(every)

    def wait_evaluations(self, ids: list[int], timeout: float = 300) -> list[dict[str, Any]]:
        api = self.client(self._admin_token())

        def done() -> list[dict[str, Any]] | None:
            states = [api.evaluation(i) for i in ids]
            return states if all(s["status"] in TERMINAL for s in states) else None

        return self.wait_for(done, timeout, f"evaluations {ids} to end", every=0.5)

    def _admin_token(self) -> str:
        if not hasattr(self, "_admin"):
            self._admin = self.token("harness", admin=True)
        return self._admin

    def shards(self, evaluation_id: int) -> list[Shard]:
        with session_scope(self.settings) as session:
            return list(session.scalars(select(Shard).where(Shard.evaluation_id == evaluation_id).order_by(Shard.id)))
