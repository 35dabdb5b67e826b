"""`cpbench make-p`: layout, clip bytes, manifest, resumability, bad sources and bad arguments. A fast x264
preset keeps these quick; the reference's own preset is checked in test_make_p_roundtrip."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluators.benchmarks import PERTURBATIONS, VALIDATION_PERTURBATIONS
from evaluators.generate.atomic import TEMP_SUFFIX
from evaluators.generate.h264 import encode_h264, x264_options
from evaluators.generate.imagenet_p import MakeP, load_resized
from evaluators.perturbations import sequence
from evaluators.seeding import derive_seed
from service.cli import app

runner = CliRunner()
CHOICE = ["--perturbations", "gaussian_noise", "--perturbations", "translate", "--difficulty", "1,2",
          "--preset", "ultrafast"]
CLIPS = 3 * 3  # gaussian_noise, gaussian_noise_2, translate × 3 sources


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from evaluators.data.sample_photos import write_sample_folder

    root = tmp_path_factory.mktemp("src")
    write_sample_folder(root, per_class=1, photos=("chelsea", "coffee", "rocket"))
    return root


def make_p(src: Path, dst: Path, *extra: str):
    return runner.invoke(app, ["make-p", str(src), str(dst), *CHOICE, "--workers", "0", *extra])


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def clips(root: Path) -> list[str]:
    return [p for p in tree(root) if p.endswith(".mp4")]


def test_layout_clips_and_manifest(source, tmp_path):
    result = make_p(source, tmp_path / "p", "--seed", "7")
    assert result.exit_code == 0, result.output
    rel = "n02123045/chelsea_00000.JPEG"
    assert sorted(clips(tmp_path / "p")) == sorted(
        f"{folder}/{wnid}.mp4" for folder in ("gaussian_noise", "gaussian_noise_2", "translate")
        for wnid in ("n02123045/chelsea_00000", "n07920052/coffee_00000", "n04008634/rocket_00000"))
    # Exactly the sequence of the Resize(256) source under its per-clip Generator, encoded as make-p does.
    seed = derive_seed(7, "gaussian_noise", 2, rel)
    frames = sequence(load_resized(source / rel), "gaussian_noise", 2, seed=np.random.default_rng(seed))
    expected = encode_h264(frames, x264_options(grain=True, preset="ultrafast"))
    assert (tmp_path / "p" / "gaussian_noise_2" / "n02123045" / "chelsea_00000.mp4").read_bytes() == expected
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["generator"] == "make-p" and manifest["seed"] == 7 and manifest["preset"] == "ultrafast"
    assert manifest["constants_version"] and manifest["skipped_sources"] == []
    assert manifest["frames"] == {"gaussian_noise": 31, "translate": 41}
    assert manifest["files"]["gaussian_noise_2/n02123045/chelsea_00000.mp4"] == {
        "sha256": hashlib.sha256(expected).hexdigest(), "seed": seed, "source": rel}
    assert len(manifest["files"]) == CLIPS and next(iter(manifest["files"])).startswith("gaussian_noise/")


def test_resume_after_interrupt_writes_the_same_bytes(source, tmp_path):
    assert make_p(source, tmp_path / "whole").exit_code == 0
    job = MakeP(source, tmp_path / "part", ("gaussian_noise", "translate"), (1, 2), preset="ultrafast")

    def interrupt(outcome):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job.run(progress=interrupt)
    partial = tree(tmp_path / "part")
    assert 0 < len(clips(tmp_path / "part")) < CLIPS and not any(TEMP_SUFFIX in p for p in partial)
    result = make_p(source, tmp_path / "part")
    assert result.exit_code == 0 and "already there" in result.stdout
    assert tree(tmp_path / "part") == tree(tmp_path / "whole")


def test_rerun_skips_existing_and_changed_settings_are_refused(source, tmp_path):
    assert make_p(source, tmp_path / "p").exit_code == 0
    before = tree(tmp_path / "p")
    again = make_p(source, tmp_path / "p")
    assert again.exit_code == 0 and f"0 clips written, {CLIPS} already there" in again.stdout
    assert tree(tmp_path / "p") == before
    other = make_p(source, tmp_path / "p", "--seed", "1")
    assert other.exit_code == 2 and "seed=0 (now 1)" in other.stderr
    slower = runner.invoke(app, ["make-p", str(source), str(tmp_path / "p"), "--perturbations", "rotate",
                                 "--workers", "0"])
    assert slower.exit_code == 2 and "preset='ultrafast' (now 'veryslow')" in slower.stderr


def test_bad_sources_are_listed_and_skipped(source, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(source, src)
    (src / "n02123045" / "broken.JPEG").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (src / "n02123045" / "notes.txt").write_text("hello")
    shutil.copy(src / "n02123045" / "chelsea_00000.JPEG", src / "n02123045" / "chelsea_00000.png")
    result = make_p(src, tmp_path / "p")
    assert result.exit_code == 0
    assert "3 source images skipped" in result.stderr and "n02123045/broken.JPEG" in result.stderr
    assert "n02123045/chelsea_00000.png: its clip name is taken by n02123045/chelsea_00000.JPEG" in result.stderr
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert {s["path"] for s in manifest["skipped_sources"]} == {
        "n02123045/broken.JPEG", "n02123045/notes.txt", "n02123045/chelsea_00000.png"}
    assert len(manifest["files"]) == CLIPS
    assert manifest["files"]["translate/n02123045/chelsea_00000.mp4"]["source"] == "n02123045/chelsea_00000.JPEG"


def test_sequences_per_difficulty():
    job = MakeP(Path("src"), Path("dst"), PERTURBATIONS + VALIDATION_PERTURBATIONS, (3, 1, 2))
    sequences = job.sequences()
    assert len(sequences) == 14 + 2 * 3
    assert ("gaussian_noise", 3) in sequences and ("rotate", 2) not in sequences and ("rotate", 1) in sequences
    assert job.output("shot_noise", 3, "n01/a.b.JPEG") == Path("dst/shot_noise_3/n01/a.b.mp4")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--perturbations", "rotation"], "unknown perturbation 'rotation'"),
     (["--difficulty", "4"], "difficulties must be in 1..3"),
     (["--difficulty", "x"], "difficulties must be integers"),
     (["--workers", "-1"], "--workers must be >= 0"),
     (["--preset", "quick"], "unknown x264 preset 'quick'")],
)
def test_argument_errors(source, tmp_path, args, message):
    result = runner.invoke(app, ["make-p", str(source), str(tmp_path / "p"), *args])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_missing_source_and_destination_inside_source(source, tmp_path):
    result = runner.invoke(app, ["make-p", str(tmp_path / "nope"), str(tmp_path / "p")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = runner.invoke(app, ["make-p", str(source), str(source / "out")])
    assert result.exit_code == 2 and "inside the source folder" in result.stderr


def test_parallel_workers_give_identical_files(source, tmp_path):
    assert make_p(source, tmp_path / "serial").exit_code == 0
    parallel = runner.invoke(app, ["make-p", str(source), str(tmp_path / "par"), *CHOICE, "--workers", "2"])
    assert parallel.exit_code == 0
    assert tree(tmp_path / "par") == tree(tmp_path / "serial")
