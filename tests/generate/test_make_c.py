"""`cpbench make-c`: layout, JPEG format, manifest, resumability, bad sources and bad arguments."""

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from evaluators.corruptions import corrupt
from evaluators.data.transforms import load_clean_224
from evaluators.errors import InvalidInputError
from evaluators.generate.atomic import TEMP_SUFFIX
from evaluators.generate.imagenet_c import MakeC, encode_jpeg
from evaluators.seeding import derive_seed
from service.cli import app

runner = CliRunner()
CHOICE = ["--corruptions", "gaussian_noise,fog", "--corruptions", "contrast", "--severities", "1,5"]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    from evaluators.data.sample_photos import write_sample_folder

    root = tmp_path_factory.mktemp("src")
    write_sample_folder(root, per_class=1, photos=("chelsea", "coffee", "rocket"))
    return root


def make_c(src: Path, dst: Path, *extra: str):
    return runner.invoke(app, ["make-c", str(src), str(dst), *CHOICE, "--workers", "0", *extra])


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_format_and_manifest(source, tmp_path):
    result = make_c(source, tmp_path / "c", "--seed", "7")
    assert result.exit_code == 0, result.output
    files = [p for p in tree(tmp_path / "c") if not p.startswith(".") and p != "manifest.json"]
    assert len(files) == 3 * 2 * 3
    rel = "n02123045/chelsea_00000.JPEG"
    out = tmp_path / "c" / "fog" / "5" / rel
    with Image.open(out) as image:
        assert image.format == "JPEG" and image.size == (224, 224) and image.mode == "RGB"
    # Exactly the corrupted clean image, saved as the release does (JPEG q85, optimize).
    clean = load_clean_224(str(source / rel))
    expected = encode_jpeg(corrupt(clean, "fog", 5, seed=derive_seed(7, "fog", 5, rel)))
    assert out.read_bytes() == expected
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["jpeg_quality"] == 85 and manifest["constants_version"]
    assert manifest["cpbench_version"] and manifest["skipped_sources"] == []
    entry = manifest["files"][f"fog/5/{rel}"]
    import hashlib

    assert entry == {"sha256": hashlib.sha256(expected).hexdigest(), "seed": derive_seed(7, "fog", 5, rel)}
    assert len(manifest["files"]) == 18


def test_resume_after_interrupt_writes_the_same_bytes(source, tmp_path):
    assert make_c(source, tmp_path / "whole").exit_code == 0
    job = MakeC(source, tmp_path / "part", ("gaussian_noise", "fog", "contrast"), (1, 5))

    def interrupt(outcome):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        job.run(progress=interrupt)
    partial = tree(tmp_path / "part")
    assert 0 < len(partial) < 18 and not any(TEMP_SUFFIX in p for p in partial)
    result = make_c(source, tmp_path / "part")
    assert result.exit_code == 0 and "already there" in result.stdout
    assert tree(tmp_path / "part") == tree(tmp_path / "whole")


def test_rerun_skips_existing_and_changed_seed_is_refused(source, tmp_path):
    assert make_c(source, tmp_path / "c").exit_code == 0
    before = tree(tmp_path / "c")
    again = make_c(source, tmp_path / "c")
    assert again.exit_code == 0 and "0 files written, 18 already there" in again.stdout
    assert tree(tmp_path / "c") == before
    other = make_c(source, tmp_path / "c", "--seed", "1")
    assert other.exit_code == 2 and "seed=0 (now 1)" in other.stderr


def test_corrupt_sources_are_listed_and_skipped(source, tmp_path):
    import shutil

    src = tmp_path / "src"
    shutil.copytree(source, src)
    (src / "n02123045" / "broken.JPEG").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (src / "n02123045" / "notes.txt").write_text("hello")
    result = make_c(src, tmp_path / "c")
    assert result.exit_code == 0
    assert "2 unreadable source images skipped" in result.stderr and "n02123045/broken.JPEG" in result.stderr
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert {s["path"] for s in manifest["skipped_sources"]} == {"n02123045/broken.JPEG", "n02123045/notes.txt"}
    assert len(manifest["files"]) == 18


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--corruptions", "fogg"], "unknown corruption 'fogg'"), (["--severities", "6"], "severities must be in 1..5"),
     (["--severities", "x"], "severities must be integers"), (["--workers", "-1"], "--workers must be >= 0")],
)
def test_argument_errors(source, tmp_path, args, message):
    result = runner.invoke(app, ["make-c", str(source), str(tmp_path / "c"), *args])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_missing_source_and_destination_inside_source(source, tmp_path):
    result = runner.invoke(app, ["make-c", str(tmp_path / "nope"), str(tmp_path / "c")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    result = runner.invoke(app, ["make-c", str(source), str(source / "out")])
    assert result.exit_code == 2 and "inside the source folder" in result.stderr


def test_parallel_workers_give_identical_files(source, tmp_path):
    assert make_c(source, tmp_path / "serial").exit_code == 0
    assert runner.invoke(app, ["make-c", str(source), str(tmp_path / "par"), *CHOICE, "--workers", "2"]).exit_code == 0
    assert tree(tmp_path / "par") == tree(tmp_path / "serial")


def test_batched_engine_is_reproducible_per_file_and_pinned(source, tmp_path):
    """The torch engine (on the CPU here; CUDA on a GPU machine): a file's bytes depend on its seed, not on its
    batch, and a destination keeps the engine that started it."""
    choice = ("gaussian_noise", "contrast")
    whole = MakeC(source, tmp_path / "b1", choice, (3,), device="cpu", batch_size=3).run(workers=2)
    assert whole.written == 6 and not whole.failed
    MakeC(source, tmp_path / "b2", choice, (3,), device="cpu", batch_size=1).run()
    assert tree(tmp_path / "b1") == tree(tmp_path / "b2")
    rel = "n02123045/chelsea_00000.JPEG"
    # contrast is deterministic: the batched path gives the reference path's bytes
    assert (tmp_path / "b1" / "contrast" / "3" / rel).read_bytes() == encode_jpeg(
        corrupt(load_clean_224(str(source / rel)), "contrast", 3))
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert manifest["engine"] == "torch-cpu" and len(manifest["files"]) == 6
    with pytest.raises(InvalidInputError, match=r"engine='torch-cpu'"):
        MakeC(source, tmp_path / "b1", choice, (3,)).run()


def test_cuda_device_without_a_gpu_is_a_clear_error(source, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = runner.invoke(app, ["make-c", str(source), str(tmp_path / "c"), "--device", "cuda"])
    assert result.exit_code == 2 and "cuda[:N] on a machine with a CUDA GPU" in result.stderr
