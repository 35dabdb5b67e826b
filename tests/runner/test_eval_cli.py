"""`cpbench eval` through a tiny typer app: the JSON layout other tools read, counts equal to the reference
loop, baselines, subsets, --allow-missing, and one-line user errors with exit code 2."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
import torch
import typer
from safetensors.torch import save_file
from typer.testing import CliRunner

from evaluators.cli.eval import eval_command
from evaluators.data import ClassList, Manifest
from evaluators.metrics import TopKCounts
from evaluators.models import create_model
from evaluators.runner import CorruptionShard, ShardResult
from evaluators.runner.evaluation import is_standard_set as _standard

app = typer.Typer()
app.command("eval")(eval_command)


@app.callback()
def main() -> None:
    """A stand-in for the cpbench app."""


runner = CliRunner()
MODEL = "shufflenet_v2_x0_5"  # a quick zoo (torchvision) model


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, classes):
    """A seeded 8-class checkpoint and the class list file that names its outputs."""
    root = tmp_path_factory.mktemp("model")
    torch.manual_seed(2)
    save_file(create_model(MODEL, num_classes=len(classes)).state_dict(), root / "model.safetensors")
    (root / "classes.txt").write_text("\n".join(classes.wnids) + "\n")
    return root / "model.safetensors", root / "classes.txt"


def evaluate(model_files, *args):
    checkpoint, classes = model_files
    return runner.invoke(app, ["eval", "--model", MODEL, "--checkpoint", str(checkpoint),
                               "--classes", str(classes), "--batch-size", "16", *args])


def test_json_layout_counts_and_provenance(tmp_path, datasets, model_files, classes, reference):
    out = tmp_path / "r.json"
    result = evaluate(model_files, "--imagenet-c", str(datasets["c"]), "--corruptions", "brightness",
                      "--val", str(datasets["val"]), "--imagenet-p", str(datasets["p"]), "--perturbations", "translate",
                      "--json", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    model = create_model(MODEL, num_classes=8, checkpoint=model_files[0]).eval()
    assert list(data["imagenet_c"]["counts"]) == ["brightness"]
    assert list(data["imagenet_c"]["counts"]["brightness"]) == ["1", "2", "3", "4", "5"]
    assert data["imagenet_c"]["counts"]["brightness"]["4"] == \
        reference["topk"](model, datasets["c"] / "brightness" / "4").to_dict()
    assert data["clean"]["counts"] == reference["topk"](model, datasets["val"], clean=True).to_dict()
    assert data["imagenet_p"]["counts"]["translate"] == \
        reference["sequences"](model, datasets["p"], "translate", 1).to_dict()
    assert set(data["imagenet_p"]["counts"]) == {"translate"}
    c = data["imagenet_c"]
    assert c["standard_set"] is False and c["normalised_by"] is None and "Raw errors only" in c["note"]
    assert c["metrics"]["mce"] is None and len(c["metrics"]["errors"]["brightness"]) == 5
    assert "Raw errors only" in result.stdout and "mean error" in result.stdout
    record = data["provenance"]
    assert record["weights_sha256"] == hashlib.sha256(model_files[0].read_bytes()).hexdigest()
    assert record["model"] == MODEL and record["precision"] == "fp32" and record["batch_size"] == 16
    assert len(record["manifest_sha256"]) == 64 and c["manifests"]["imagenet_c/brightness/3"]["files"] == 16


def test_baseline_normalises(tmp_path, datasets, model_files):
    first = tmp_path / "base.json"
    args = ["--imagenet-c", str(datasets["c"]), "--corruptions", "gaussian_noise", "--corruptions", "brightness",
            "--subset", "1", "--workers", "0"]
    assert evaluate(model_files, *args, "--json", str(first)).exit_code == 0
    second = tmp_path / "again.json"
    result = evaluate(model_files, *args, "--baseline", str(first), "--json", str(second))
    assert result.exit_code == 0, result.output
    data = json.loads(second.read_text())
    assert data["imagenet_c"]["normalised_by"] == str(first) and data["subset"] == {"per_class": 1, "seed": 0}
    assert data["imagenet_c"]["metrics"]["ce"] == {"gaussian_noise": 100.0, "brightness": 100.0}
    assert data["imagenet_c"]["counts"]["brightness"]["2"]["images"] == 8


def test_allow_missing_records_skips(tmp_path, datasets, model_files):
    val = tmp_path / "val"
    shutil.copytree(datasets["val"], val)
    broken = sorted(val.glob("*/*"))[3]
    broken.write_bytes(b"not an image")
    relpath = f"{broken.parent.name}/{broken.name}"
    failed = evaluate(model_files, "--val", str(val))
    assert failed.exit_code == 2 and failed.stderr.count("\n") == 1
    assert failed.stderr.startswith("error: ") and f"{relpath} (unreadable" in failed.stderr
    out = tmp_path / "r.json"
    result = evaluate(model_files, "--val", str(val), "--allow-missing", "--json", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert list(data["clean"]["skipped"]["clean"]) == [relpath] and data["clean"]["counts"]["images"] == 15
    assert "skipped 1 file(s)" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    ([], "nothing to evaluate"),
    (["--imagenet-c", "/nonexistent"], "/nonexistent: folder does not exist"),
    (["--imagenet-c", "{c}", "--corruptions", "fgo"], "unknown corruption 'fgo'"),
    (["--imagenet-c", "{c}", "--corruptions", "fog"], "fog/1: folder does not exist"),
    (["--val", "{c}"], "not one of the model's 8 classes"),
    (["--val", "{val}", "--baseline", "{val}"], "not a text file"),
])
def test_user_errors_are_one_line_with_exit_code_2(datasets, model_files, args, message):
    args = [a.format(c=datasets["c"], val=datasets["val"]) for a in args]
    if "--baseline" in args:
        args[-1] = str(next(datasets["val"].glob("*/*")))
    result = evaluate(model_files, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and message in result.stderr


def test_standard_set_needs_everything():
    """The published AlexNet table applies only to 15 corruptions x 5 severities x 50,000 images, 1000 classes."""
    from evaluators.benchmarks import CORRUPTIONS, SEVERITIES

    def results(images, skipped=None):
        return [ShardResult(CorruptionShard(root="/c", corruption=c, severity=s), TopKCounts(images, 0, 0), images,
                            Manifest.build([]), skipped or {}) for c in CORRUPTIONS for s in SEVERITIES]

    imagenet = ClassList.imagenet()
    assert _standard(results(50_000), imagenet, None)
    assert not _standard(results(50_000)[1:], imagenet, None)
    assert not _standard(results(49_999), imagenet, None)
    assert not _standard(results(50_000, {"x": "missing"}), imagenet, None)
    assert not _standard(results(50_000), ClassList(("n0", "n1")), None)
