"""`cpbench score imagenet-c|imagenet-p`: JSON and table output, and one-line errors with exit code 2."""

import json

import pytest
from typer.testing import CliRunner

from evaluators.benchmarks import CORRUPTIONS, PERTURBATIONS
from evaluators.metrics import ALEXNET_IMAGENET_C
from service.cli import app

runner = CliRunner()


def score(tmp_path, kind, data, *args):
    path = tmp_path / "scores.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return runner.invoke(app, ["score", kind, str(path), *args])


def alexnet_file(clean=True):
    data = {c: list(v) for c, v in ALEXNET_IMAGENET_C.errors.items()}
    if clean:
        data["clean"] = ALEXNET_IMAGENET_C.clean_error
    return data


def test_alexnet_json(tmp_path):
    result = score(tmp_path, "imagenet-c", alexnet_file())
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["mce"] == 100.0 and out["relative_mce"] == 100.0
    assert out["ce"]["fog"] == 100.0 and out["relative_ce"]["fog"] == 100.0 and out["mean_error"] == 78.9
    assert out["baseline"]["name"] == "alexnet" and out["baseline"]["version"]


def test_two_decimal_percent_and_no_relative_without_clean(tmp_path):
    data = {c: [min(1.0, e * 0.777) for e in ALEXNET_IMAGENET_C.errors[c]] for c in CORRUPTIONS}
    out = json.loads(score(tmp_path, "imagenet-c", data).stdout)
    assert out["mce"] == 77.7 and out["relative_mce"] is None and out["relative_ce"] is None
    assert all(round(v, 2) == v for v in out["ce"].values())


def test_table(tmp_path):
    result = score(tmp_path, "imagenet-c", alexnet_file(), "--format", "table")
    assert result.exit_code == 0
    assert "mCE 100.0" in result.stdout and "relative mCE 100.0" in result.stdout
    assert "saturate (extra)" in result.stdout


@pytest.mark.parametrize(
    ("edit", "message"),
    [(lambda d: d.pop("fog"), "missing corruption 'fog'"),
     (lambda d: d.update(fogg=[0.1] * 5), "unknown corruption 'fogg'"),
     (lambda d: d.update(fog=[0.1] * 6), "fog: expected 5 error rates"),
     (lambda d: d.update(fog=[0.1, 0.2, 0.3, 0.4, 55.0]), "fog severity 5: 55.0 is outside [0, 1]"),
     (lambda d: d.update(clean=-0.1), "clean error: -0.1 is outside [0, 1]")],
)
def test_bad_files_one_line_exit_2(tmp_path, edit, message):
    data = alexnet_file()
    edit(data)
    result = score(tmp_path, "imagenet-c", data)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {message}" or (
        result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1)


@pytest.mark.parametrize(("text", "message"), [("{", "not valid JSON"), ("[1, 2]", "expected a JSON object")])
def test_unreadable_files(tmp_path, text, message):
    result = score(tmp_path, "imagenet-c", text)
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def p_file(scale=0.5):
    base_fp = {p: 0.1 + 0.01 * i for i, p in enumerate(PERTURBATIONS)}
    base_t5d = {p: 1.0 + 0.1 * i for i, p in enumerate(PERTURBATIONS)}
    return {"model": {"flip_probability": {p: v * scale for p, v in base_fp.items()},
                      "top5_distance": {p: v * scale for p, v in base_t5d.items()}},
            "baseline": {"name": "alexnet-measured", "flip_probability": base_fp, "top5_distance": base_t5d}}


def test_imagenet_p(tmp_path):
    result = score(tmp_path, "imagenet-p", p_file(0.5))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["mfp"] == 50.0 and out["mt5d"] == 50.0 and out["baseline"]["name"] == "alexnet-measured"
    assert "mFP 50.0" in score(tmp_path, "imagenet-p", p_file(0.5), "-f", "table").stdout


def test_imagenet_p_errors(tmp_path):
    data = p_file()
    del data["model"]["flip_probability"]["tilt"]
    result = score(tmp_path, "imagenet-p", data)
    assert result.exit_code == 2 and "'tilt'" in result.stderr
    data = p_file()
    data["model"]["top5_distance"]["tilt"] = 16
    assert "tilt top-5 distance: 16.0 is outside [0, 15]" in score(tmp_path, "imagenet-p", data).stderr
    assert "expected a JSON object with a \"model\"" in score(tmp_path, "imagenet-p", {"x": 1}).stderr
