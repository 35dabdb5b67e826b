"""`cpbench serve`, `worker`, `beat` and `db upgrade`: the processes of a deployment.

`serve` applies the migrations, starts one worker and the beat scheduler as child processes (unless
--no-worker), and runs the API in this process; the children stop when it stops. `worker` and `beat` replace
their own process with Celery's, running `workers.app` (the service never imports the workers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from typing import Annotated

import typer

from service.migrate import upgrade
from service.settings import get_settings

app = typer.Typer()
db = typer.Typer(no_args_is_help=True, help="Database schema.")
STOP_TIMEOUT_S = 20


@db.command("upgrade")
def db_upgrade() -> None:
    """Applies the Alembic migrations to the configured database."""
    settings = get_settings()
    upgrade(settings)
    typer.echo(f"database at {_redacted(settings.database_url)} is up to date")


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="Default: CPBENCH_API_HOST (127.0.0.1).")] = None,
          port: Annotated[int | None, typer.Option(help="Default: CPBENCH_API_PORT (8000).")] = None,
          no_worker: Annotated[bool, typer.Option("--no-worker", help="API only (a fleet's workers run elsewhere).")]
          = False,
          workers: Annotated[int | None, typer.Option(min=1, help="API processes sharing the port; default: "
                                                                  "CPBENCH_API_WORKERS (1).")] = None) -> None:
    """Runs the API; with nothing configured also one worker and the beat scheduler, all under ./.cpbench/."""
    settings = get_settings()
    upgrade(settings)
    host, port, workers = host or settings.api_host, port or settings.api_port, workers or settings.api_workers
    children: list[subprocess.Popen[bytes]] = []
    if not no_worker:
        command = [sys.executable, "-m", "service.cli"]
        children.append(subprocess.Popen([*command, "worker", "--concurrency", "1"]))
        children.append(subprocess.Popen([*command, "beat"]))
    # uvicorn re-raises SIGTERM once it has shut down; a Python handler turns that into SystemExit, so the
    # `finally` below still stops the worker and beat
    signal.signal(signal.SIGTERM, _exit_on_signal)
    typer.echo(f"cpbench serving http://{host}:{port}  (API docs: http://{host}:{port}/docs; data in {settings.home})")
    try:
        # Imported here, and the app (which loads the model zoo, torch) by uvicorn in each API process: the
        # other commands start at once.
        import uvicorn

        uvicorn.run("service.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")
    finally:
        _stop(children)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@app.command()
def worker(queues: Annotated[str | None, typer.Option(help="Comma-separated; default: the shard and control "
                                                           "queues (CPBENCH_SHARD_QUEUE, CPBENCH_CONTROL_QUEUE).")]
           = None,
           device: Annotated[str | None, typer.Option(help="cpu, cuda, cuda:N or auto (CPBENCH_WORKER_DEVICE).")]
           = None,
           concurrency: Annotated[int, typer.Option(help="Processes; one per GPU.")] = 1,
           pool: Annotated[str, typer.Option(help="prefork (a killed child is detected and its task "
                                                  "redelivered) or solo.")] = "prefork",
           loglevel: str = "INFO") -> None:
    """Starts a Celery worker that runs shards (and finalise/reap on the control queue)."""
    settings = get_settings()
    if device is not None:
        os.environ["CPBENCH_WORKER_DEVICE"] = device
    queues = queues or f"{settings.shard_queue},{settings.control_queue}"
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "--loglevel", loglevel,
            "--queues", queues, "--concurrency", str(concurrency), "--pool", pool,
            "--hostname", f"cpbench-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle"]
    os.execv(sys.executable, argv)


@app.command()
def beat(loglevel: str = "INFO") -> None:
    """Starts the beat scheduler that runs the reaper and refreshes stored documents (one per deployment)."""
    settings = get_settings()
    argv = [sys.executable, "-m", "celery", "-A", "workers.app", "beat", "--loglevel", loglevel,
            "--schedule", str(settings.home / "celerybeat-schedule")]
    os.execv(sys.executable, argv)


def _redacted(url: str) -> str:
    """A database URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}{sep}{user}{':***' if has_password else ''}@{host}"
