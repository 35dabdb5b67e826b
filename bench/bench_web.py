"""Read load on the leaderboard and evaluation pages, HTML and JSON, against 10,000 evaluations (issue 6).

    .venv/bin/python bench/bench_web.py [--evaluations 10000] [--clients 50] [--duration 15]
        [--workers N] [--backends sqlite postgresql] [--out bench/out/web.md]

For each backend (SQLite under a temporary home; PostgreSQL in a throwaway database on 127.0.0.1:5432):
- seeding: a suite over the standard ImageNet-C layout (normalised by the published AlexNet table), 100
  evaluations made by the service's own lifecycle functions with made-up counts and finalised by the real
  finalise code, then bulk copies of them (submission, evaluation with its stored metrics, 77 shard rows) up
  to --evaluations: 90 % public, 3 % failed, 100 users, 16 architectures, GAP/GCP twins among them; the
  copies' stored documents are rendered by the beat's own refresh function, as finalise would have;
- serving: `cpbench serve --no-worker --workers N` (the real app, as users run it) in a subprocess;
- load: wrk (`apt-get install wrk`), --clients connections each sending its next request as soon as the last
  one is answered, for --duration seconds per page kind after --warmup seconds of the same traffic (caches
  then hold what that traffic keeps asking for): leaderboard pages with a random sort column, order and one
  of the first three pages; evaluation pages of any public finished evaluation (uniformly: mostly cache
  misses) or of the 50 entries of the leaderboard's first page (what readers open).
  Latency percentiles come from wrk's histogram; every response must be 200.
Prints a markdown table and writes it to --out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from reporting import cpu_name, publish  # bench/ is on sys.path when a script here runs
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from evaluators.benchmarks import CORRUPTIONS, SEVERITIES
from evaluators.models import model_info
from service.catalog import SuiteRequest, add_suite
from service.db import get_engine, write_session
from service.documents import refresh_stale
from service.lifecycle import Outbox, create_evaluation
from service.migrate import upgrade
from service.models import Dataset, Evaluation, EvaluationStatus, Shard, ShardStatus, Submission, User, utcnow
from service.settings import Settings, get_settings
from workers.finalise import finalise

ROOT = Path(__file__).resolve().parents[1]
CPBENCH = str(Path(sys.executable).with_name("cpbench"))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
MODELS = ("resnet18", "resnet18_gcp", "resnet34", "resnet34_gcp", "resnet50", "resnet50_gcp", "resnet50_gcp_128",
          "resnet101", "resnet101_gcp", "mobilenet_v2", "mobilenet_v2_gcp", "shufflenet_v2_x1_0",
          "shufflenet_v2_x1_0_gcp", "alexnet", "vgg16", "densenet121")
TEMPLATES, USERS, CHUNK, IMAGES = 100, 100, 500, 50_000
SUITE = "imagenet-c"
SORTS = ("mce", "clean_error", "relative_mce")
TARGET_P95_MS = 100.0
WRK_SCRIPT = """
local paths = {%s}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(seed * 7919)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50": %%d, "p95": %%d, "p99": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def top1_error(quality: float, corruption: str | None, severity: int) -> float:
    offset = 0.0 if corruption is None else 0.01 * CORRUPTIONS.index(corruption)
    return min(0.97, quality + (0.03 + quality / 5) * severity + offset)


def fill(shard: Shard, quality: float) -> None:
    error = top1_error(quality, shard.spec.get("corruption"), int(shard.spec.get("severity") or 0))
    shard.images, shard.top1_correct = IMAGES, IMAGES - round(IMAGES * error)
    shard.top5_correct = IMAGES - round(IMAGES * error / 3)
    shard.status, shard.progress, shard.total, shard.finished_at = ShardStatus.done, IMAGES, IMAGES, utcnow()
    shard.batch_size, shard.device, shard.manifest_sha256 = 64, "cuda:0", "0" * 64
    shard.provenance = {"cpbench": "0.1.0", "torch": "2.14.1", "python": "3.11", "precision": "fp32",
                        "device_name": "NVIDIA H100 80GB HBM3"}


def seed(settings: Settings, evaluations: int, rng: random.Random) -> list[int]:
    """The database of one run; returns the ids of the public finished evaluations."""
    with write_session(settings) as session:
        users = [User(name=f"user{i}") for i in range(USERS)]
        session.add_all(users)
        corruptions = {c: list(SEVERITIES) for c in CORRUPTIONS}
        for name, kind, contents in (("val", "imagenet-val", {}), ("c15", "imagenet-c", {"corruptions": corruptions})):
            session.add(Dataset(name=name, kind=kind, path=f"/data/{name}", manifest_sha256="0" * 64, files=50_000,
                                classes=1000, contents=contents))
        session.flush()
        suite = add_suite(session, SuiteRequest(name=SUITE, kind="imagenet-c", dataset="c15", clean_dataset="val"))
        templates = []
        for i in range(TEMPLATES):
            model = MODELS[i % len(MODELS)]
            submission = Submission(**_submission(users[i % USERS].id, model, i, public=True))
            session.add(submission)
            session.flush()
            evaluation = create_evaluation(session, submission, suite, Outbox())  # nothing is sent: no worker
            quality = 0.2 + 0.15 * rng.random() - (0.02 if model_info(model).pooling == "gcp" else 0.0)
            for shard in session.scalars(select(Shard).where(Shard.evaluation_id == evaluation.id)):
                fill(shard, quality)
            evaluation.status, evaluation.started_at = EvaluationStatus.running, utcnow()
            templates.append(evaluation.id)
        user_ids = [u.id for u in users]
    for evaluation_id in templates:
        assert finalise(evaluation_id) == "finished"
    with write_session(settings) as session:
        originals = {e.id: e for e in session.scalars(select(Evaluation).where(Evaluation.id.in_(templates)))}
        shards = {t: _shard_rows(session, t) for t in templates}
        for first in range(TEMPLATES, evaluations, CHUNK):
            picks = [(i, rng.choice(templates), rng.choice(user_ids), rng.random() < 0.9)
                     for i in range(first, min(first + CHUNK, evaluations))]
            _copy(session, originals, shards, picks, rng)
    while refresh_stale(settings, CHUNK):  # the copies' documents, as finalise stores them
        pass
    with write_session(settings) as session:
        return list(session.scalars(select(Evaluation.id).where(
            Evaluation.public.is_(True), Evaluation.status == EvaluationStatus.finished)))


def _copy(session: Session, originals: dict[int, Evaluation], shards: dict[int, list[dict[str, Any]]],
          picks: list[tuple[int, int, int, bool]], rng: random.Random) -> None:
    """Bulk copies of finalised evaluations: (number, original id, owner id, public) each, as new submissions
    with an evaluation (its stored metrics and provenance) and shard rows."""
    submissions = session.scalars(insert(Submission).returning(Submission.id, sort_by_parameter_order=True), [
        _submission(owner, originals[t].submission.model, i, public) for i, t, owner, public in picks]).all()
    kept = [c.key for c in Evaluation.__table__.columns if c.key not in ("id", "submission_id", "owner_id", "public",
                                                                          "status")]
    evaluations = session.scalars(insert(Evaluation).returning(Evaluation.id, sort_by_parameter_order=True), [
        {**{c: getattr(originals[t], c) for c in kept}, "submission_id": s, "owner_id": owner, "public": public,
         "status": EvaluationStatus.failed if rng.random() < 0.03 else EvaluationStatus.finished}
        for (_, t, owner, public), s in zip(picks, submissions, strict=True)]).all()
    session.execute(insert(Shard), [{**row, "evaluation_id": e} for (_, t, _, _), e in zip(picks, evaluations,
                                                                                          strict=True)
                                    for row in shards[t]])


def _shard_rows(session: Session, evaluation_id: int) -> list[dict[str, Any]]:
    columns = [c.key for c in Shard.__table__.columns if c.key not in ("id", "evaluation_id")]
    return [{c: getattr(s, c) for c in columns}
            for s in session.scalars(select(Shard).where(Shard.evaluation_id == evaluation_id).order_by(Shard.id))]


def _submission(owner_id: int, model: str, i: int, public: bool) -> dict[str, Any]:
    digest = hashlib.sha256(f"weights {i}".encode()).hexdigest()
    return {"owner_id": owner_id, "name": f"{model} run {i}", "model": model, "pooling": model_info(model).pooling,
              "preprocessing": {}, "public": public, "upload_sha256": digest, "upload_bytes": 100_000_000,
              "upload_format": "safetensors", "weights_sha256": digest, "weights_path": f"/store/{digest}"}


@contextmanager
def backend(name: str, home: Path) -> Iterator[Settings]:
    """The settings of a fresh database, made the process's settings (finalise reads them)."""
    database = f"cpbench_bench_{uuid.uuid4().hex[:8]}"
    url = "" if name == "sqlite" else f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    if url:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
    os.environ.update({"CPBENCH_HOME": str(home), "CPBENCH_DATABASE_URL": url})
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        get_engine().dispose()
        if url:
            with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def server(settings: Settings, log: Path, workers: int) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CPBENCH_HOME": str(settings.home), "CPBENCH_DATABASE_URL": settings.database_url,
           "CPBENCH_API_PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen([CPBENCH, "serve", "--no-worker", "--workers", str(workers)], env=env, stdout=out,
                                   stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"cpbench serve exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"cpbench serve did not start:\n{log.read_text()[-3000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(30)


def paths(kind: str, ids: list[int], top: list[int], rng: random.Random, count: int = 4000) -> list[str]:
    """Request paths of one kind: `ids` are all public finished evaluations, `top` the leaderboard's first page."""
    if kind.startswith("leaderboard"):
        queries = [f"sort={rng.choice(SORTS)}&order={rng.choice(('asc', 'desc'))}&offset={50 * rng.randrange(3)}"
                   for _ in range(count)]
        if kind.endswith("HTML"):
            return [f"/leaderboard/{SUITE}?{q}" for q in queries]
        return [f"/api/v1/leaderboard?suite={SUITE}&{q}" for q in queries]
    prefix = "/evaluations/" if "HTML" in kind else "/api/v1/evaluations/"
    return [f"{prefix}{rng.choice(top if 'top' in kind else ids)}" for _ in range(count)]


def wrk(url: str, requests: list[str], clients: int, duration: int, work: Path) -> dict[str, Any]:
    script = work / "paths.lua"
    script.write_text(WRK_SCRIPT % ", ".join(json.dumps(p) for p in requests))
    done = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "10s", "-s", str(script),
                           url], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_backend(name: str, args: argparse.Namespace, work: Path, rng: random.Random) -> list[dict[str, Any]]:
    home = work / name
    with backend(name, home) as settings:
        upgrade(settings)
        start = time.perf_counter()
        ids = seed(settings, args.evaluations, rng)
        seconds = time.perf_counter() - start
        print(f"{name}: seeded {args.evaluations} evaluations in {seconds:.1f} s", flush=True)
        rows = []
        with server(settings, work / f"serve-{name}.log", args.workers) as url:
            top = [e["evaluation_id"] for e in httpx.get(f"{url}/api/v1/leaderboard", params={"suite": SUITE},
                                                          timeout=60).json()["entries"]]
            for kind in KINDS:
                requests = paths(kind, ids, top, rng)
                for path in requests[:20]:
                    assert httpx.get(url + path, timeout=60).status_code == 200, path
                wrk(url, requests, args.clients, args.warmup, work)  # the steady state of this traffic
                result = wrk(url, requests, args.clients, args.duration, work)
                row = {"backend": name, "page": kind, "seed_s": seconds, **result,
                       "throughput": result["requests"] / (result["duration_us"] / 1e6)}
                print(format_row(row), flush=True)
                rows.append(row)
        return rows


# "any": uniformly over every public evaluation (mostly cache misses); "top": the 50 entries of the first
# leaderboard page, the ones readers open.
KINDS = ("leaderboard HTML", "leaderboard JSON", "evaluation HTML, any", "evaluation JSON, any",
         "evaluation HTML, top", "evaluation JSON, top")
HEADER = ("| backend | page | requests | throughput | p50 | p95 | p99 | non-200 / socket errors | p95 < 100 ms |\n"
          "|---|---|---|---|---|---|---|---|---|")


def format_row(row: dict[str, Any]) -> str:
    p95 = row["p95"] / 1000
    ok = row["requests"] and not row["status_errors"] + row["socket_errors"] and p95 < TARGET_P95_MS
    verdict = "pass" if ok else "FAIL"
    return (f"| {row['backend']} | {row['page']} | {row['requests']} | {row['throughput']:.0f} req/s | "
            f"{row['p50'] / 1000:.1f} ms | {p95:.1f} ms | {row['p99'] / 1000:.1f} ms | "
            f"{row['status_errors']} / {row['socket_errors']} | {verdict} |")


def describe(args: argparse.Namespace) -> str:
    with psycopg.connect(PG_ADMIN) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return (f"{cpu_name()}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"PostgreSQL {postgres}; {args.evaluations} evaluations in one suite (77 shard rows each); "
            f"{args.clients} concurrent clients (wrk, closed loop), {args.duration} s per row after "
            f"{args.warmup} s of the same traffic; `cpbench serve --no-worker --workers {args.workers}` (uvicorn with "
            "uvloop and httptools, access log on).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluations", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="API processes (default: cores)")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "web.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_web needs wrk: apt-get install wrk")
    rng = random.Random(0)
    work = Path(tempfile.mkdtemp(prefix="cpbench-bench-web-"))
    load_before = os.getloadavg()[0]
    try:
        rows = [row for name in args.backends for row in run_backend(name, args, work, rng)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seeding = ", ".join(f"{r['backend']} {r['seed_s']:.0f} s" for r in rows[::len(KINDS)])
    load = (f"1-minute load average {load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it "
            "(other work on the machine slows every row).")
    text = "\n".join(["# Web read load", "", describe(args), f"Seeding: {seeding}. {load}", "", HEADER,
                      *map(format_row, rows), ""])
    publish(text, args.out)


if __name__ == "__main__":
    main()
