"""The whole flow a new user goes through, as real processes: register data, create tokens, add suites, submit a
GAP and a GCP checkpoint with the CLI, watch them finish, read the leaderboard and the JSON API; every stored
metric equals the library's own computation on the stored counts.

Fleet: PostgreSQL + Redis, `cpbench serve --no-worker`, two `cpbench worker` processes and `cpbench beat`.
Embedded: `cpbench serve` alone (SQLite database, SQLite broker, its own worker and beat).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from service_harness import Deployment

from evaluators.benchmarks import CORRUPTIONS, PERTURBATIONS
from evaluators.errors import InvalidInputError
from evaluators.metrics import (
    ALEXNET_IMAGENET_C,
    ImageNetCBaseline,
    ImageNetPBaseline,
    SequenceCounts,
    TopKCounts,
    imagenet_c_report_from_counts,
    imagenet_p_report_from_counts,
)

pytestmark = [pytest.mark.service, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, make_database, redis_url: str) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path_factory.mktemp("fleet"), make_database(), redis_url)
    deployment.serve("--no-worker")
    deployment.worker("worker-1")
    deployment.worker("worker-2")
    deployment.start("beat", "beat")
    yield deployment
    deployment.stop_all()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path_factory.mktemp("embedded"))
    deployment.serve()
    yield deployment
    deployment.stop_all()


def submitted_ids(output: str) -> tuple[int, list[int]]:
    match = re.search(r"submission (\d+), evaluations ([\d, ]+)", output)
    assert match, output
    return int(match[1]), [int(e) for e in match[2].split(",")]


def c_counts(rows: list[dict[str, Any]]) -> tuple[dict[str, dict[int, TopKCounts]], TopKCounts | None]:
    counts: dict[str, dict[int, TopKCounts]] = {}
    clean = None
    for row in rows:
        if row["kind"] == "clean":
            clean = TopKCounts.from_dict(row["counts"])
        else:
            counts.setdefault(row["corruption"], {})[row["severity"]] = TopKCounts.from_dict(row["counts"])
    return counts, clean


def p_counts(rows: list[dict[str, Any]]) -> dict[str, SequenceCounts]:
    return {row["perturbation"]: SequenceCounts.from_dict(row["counts"]) for row in rows}


def test_fleet_flow(fleet: Deployment, data) -> None:
    """Administered through the admin API (the embedded flow uses the CLI)."""
    dep = fleet
    root = dep.client(dep.create_token("root", admin=True))
    for kind, name, path in (("imagenet-val", "val", data.val), ("imagenet-c", "c15", data.c15),
                             ("imagenet-p", "p10", data.p)):
        assert root.post("/datasets", {"kind": kind, "name": name, "path": str(path)})["files"] > 0
    root.post("/suites", {"name": "imagenet-c", "kind": "imagenet-c", "dataset": "c15", "clean_dataset": "val"})
    root.post("/suites", {"name": "imagenet-p", "kind": "imagenet-p", "dataset": "p10"})
    assert [s["name"] for s in dep.client().get("/suites")] == ["imagenet-c", "imagenet-p"]
    alice = dep.token("alice")

    out = dep.cli("submit", str(data.gap), "--model", "resnet18", "--suite", "imagenet-c", "--suite", "imagenet-p",
                  "--name", "R18 GAP", "--public", token=alice).stdout
    gap_id, (gap_c, gap_p) = submitted_ids(out)
    # ImageNet-P has no published table: the GAP model's own counts normalise the suite, even before it finishes
    root.request("PUT", "/api/v1/suites/imagenet-p/baseline", json={"evaluation": gap_p})
    out = dep.cli("submit", str(data.gcp), "--model", "resnet18_gcp", "--suite", "imagenet-c", "--suite",
                  "imagenet-p", "--name", "R18 GCP", "--public", "--wait", token=alice).stdout
    _, (gcp_c, gcp_p) = submitted_ids(out)
    states = dep.wait_evaluations([gap_c, gap_p, gcp_c, gcp_p])
    assert [s["status"] for s in states] == ["finished"] * 4, [s["failure_reason"] for s in states]

    # An identical resubmission returns the existing submission and queues nothing
    again = dep.client(alice).submit(data.gap, "resnet18", ["imagenet-c"], "again")
    assert again == {"id": gap_id, "created": False, "duplicate": True, "evaluations": [gap_c, gap_p]}

    api = dep.client()  # public results need no token
    board = api.leaderboard("imagenet-c")
    assert board["total"] == 2 and sorted(e["pooling"] for e in board["entries"]) == ["gap", "gcp"]
    assert {e["evaluation_id"] for e in board["entries"]} == {gap_c, gcp_c}
    assert [e["mce"] for e in board["entries"]] == sorted(e["mce"] for e in board["entries"])
    assert [e["name"] for e in api.leaderboard("imagenet-c", pooling="gcp")["entries"]] == ["R18 GCP"]
    assert api.leaderboard("imagenet-c", model="resnet18_mpncov")["total"] == 1  # an alias of resnet18_gcp
    cli_board = json.loads(dep.cli("leaderboard", "imagenet-c", "--sort", "mce", "--json").stdout)
    assert cli_board["entries"] == board["entries"]
    exported = list(csv.DictReader(io.StringIO(api.request("GET", "/api/v1/leaderboard", params={
        "suite": "imagenet-c", "format": "csv"}).text)))
    assert [int(r["evaluation_id"]) for r in exported] == [e["evaluation_id"] for e in board["entries"]]

    # ImageNet-C: the stored metrics are the library's, from the stored counts and the published AlexNet table
    for evaluation_id in (gap_c, gcp_c):
        results = api.results(evaluation_id)
        assert len(results["rows"]) == 76
        counts, clean = c_counts(results["rows"])
        assert set(counts) == set(CORRUPTIONS)
        expected = imagenet_c_report_from_counts(counts, clean, ALEXNET_IMAGENET_C).to_dict()
        detail = api.evaluation(evaluation_id)
        assert detail["report"]["imagenet_c"] == expected
        assert detail["metrics"]["mce"] == expected["mce"] is not None
        assert detail["metrics"]["relative_mce"] == expected["relative_mce"]
        assert detail["metrics"]["clean_error"] == expected["clean_error"]
        assert results["baseline"] == {"name": ALEXNET_IMAGENET_C.name, "version": ALEXNET_IMAGENET_C.version}
    # ImageNet-P: normalised by the GAP model's own counts (its own mFP is then 100)
    base = p_counts(api.results(gap_p)["rows"])
    baseline = ImageNetPBaseline.from_counts("gap", "v", base)
    dep.wait_for(lambda: api.evaluation(gcp_p)["metrics"]["mfp"] is not None, 60, "GCP's mFP after the baseline")
    for evaluation_id in (gap_p, gcp_p):
        rows = api.results(evaluation_id)["rows"]
        assert {r["perturbation"] for r in rows} == set(PERTURBATIONS)
        expected = imagenet_p_report_from_counts(p_counts(rows), baseline).to_dict()
        report = api.evaluation(evaluation_id)["report"]["imagenet_p"]["1"]
        for key in ("mfp", "mt5d", "fp", "t5d", "flip_probability_raw", "top5_distance_raw"):
            assert report[key] == expected[key], key
    assert api.evaluation(gap_p)["metrics"]["mfp"] == 100.0
    p_board = api.leaderboard("imagenet-p", sort="mfp")["entries"]
    assert [e["evaluation_id"] for e in p_board if e["is_baseline"]] == [gap_p]

    # Provenance of a result names the weights, the data, the code and the device
    provenance = api.evaluation(gap_c)["provenance"]
    assert provenance["weights_sha256"] == hashlib.sha256(data.gap.read_bytes()).hexdigest()
    assert provenance["upload_format"] == "safetensors" and provenance["architecture"] == "resnet18"
    assert provenance["devices"] == ["cpu"] and provenance["batch_sizes"] == [2]
    assert provenance["environments"][0]["torch"] and len(provenance["data_manifest_sha256"]) == 64
    assert provenance["baseline"] == {"name": ALEXNET_IMAGENET_C.name, "version": ALEXNET_IMAGENET_C.version}
    gcp_provenance = api.evaluation(gcp_c)["provenance"]
    assert gcp_provenance["upload_format"] == "torch-zip" and gcp_provenance["pooling"] == "gcp"
    assert gcp_provenance["upload_sha256"] == hashlib.sha256(data.gcp.read_bytes()).hexdigest()
    assert gcp_provenance["weights_sha256"] != gcp_provenance["upload_sha256"]  # converted to safetensors
    assert Path(dep.settings.storage_dir, gcp_provenance["weights_sha256"][:2]).is_dir()

    compared = api.compare(gap_c, gcp_c)
    assert compared["same_suite"] and compared["metrics"]["mce"]["delta"] == pytest.approx(
        compared["metrics"]["mce"]["b"] - compared["metrics"]["mce"]["a"], abs=1e-3)
    assert "R18 GCP" in dep.cli("compare", str(gap_c), str(gcp_c)).stdout
    health = api.request("GET", "/healthz").json()
    assert health == {"status": "ok", "database": "ok", "broker": "ok", "oldest_queued_s": None, "running_shards": 0}
    assert "/api/v1/submissions" in api.request("GET", "/openapi.json").json()["paths"]


def test_embedded_flow(embedded: Deployment, data) -> None:
    """The same code path on SQLite and the SQLite broker: a subset suite (2 corruptions, really corrupted),
    normalised by a baseline evaluation (the published table applies only to the full standard set)."""
    dep = embedded
    dep.cli("datasets", "add", "imagenet-val", "val", str(data.val))
    dep.cli("datasets", "add", "imagenet-c", "c2", str(data.c2))
    dep.cli("suites", "add", "c2", "--kind", "imagenet-c", "--dataset", "c2", "--clean-dataset", "val",
            "--corruptions", "gaussian_noise,contrast")
    token = dep.create_token("bob")
    _, (gap_eval,) = submitted_ids(dep.cli("submit", str(data.gap), "--model", "resnet18", "--suite", "c2",
                                                "--public", token=token).stdout)
    dep.cli("suites", "set-baseline", "c2", str(gap_eval))
    out = dep.cli("submit", str(data.gcp), "--model", "resnet18_gcp", "--suite", "c2", "--wait", token=token).stdout
    _, (gcp_eval,) = submitted_ids(out)
    states = dep.wait_evaluations([gap_eval, gcp_eval], timeout=600)
    assert [s["status"] for s in states] == ["finished", "finished"], [s["failure_reason"] for s in states]

    api = dep.client(token)
    base_counts, base_clean = c_counts(api.results(gap_eval)["rows"])
    baseline = ImageNetCBaseline.from_counts("gap", "v", base_counts, base_clean)
    dep.wait_for(lambda: api.evaluation(gcp_eval)["report"]["imagenet_c"]["ce"], 60, "CE against the baseline")
    for evaluation_id in (gap_eval, gcp_eval):
        counts, clean = c_counts(api.results(evaluation_id)["rows"])
        try:
            expected = imagenet_c_report_from_counts(counts, clean, baseline).to_dict()
        except InvalidInputError:  # the baseline's errors do not exceed its clean error: no relative CE
            expected = imagenet_c_report_from_counts(counts, clean, replace(baseline, clean_error=None)).to_dict()
            assert "relative" in api.results(evaluation_id)["baseline_note"]
        report = api.evaluation(evaluation_id)["report"]["imagenet_c"]
        for key in ("ce", "relative_ce", "errors", "clean_error", "mean_error", "mce"):
            assert report[key] == expected[key], key
    assert api.evaluation(gap_eval)["report"]["imagenet_c"]["ce"] == {"gaussian_noise": 100.0, "contrast": 100.0}
    # the GCP submission is private: on the public leaderboard only for its owner
    assert dep.client().leaderboard("c2", sort="clean_error")["total"] == 1
    assert api.leaderboard("c2", sort="clean_error")["total"] == 2
    assert len(json.loads(dep.cli("results", str(gcp_eval), "--json", token=token).stdout)["rows"]) == 11
    assert "c2: 2 entries, sorted by clean_error asc" in dep.cli("leaderboard", "c2", "--sort", "clean_error",
                                                                 token=token).stdout
    assert api.request("GET", "/healthz").json()["broker"] == "ok"
