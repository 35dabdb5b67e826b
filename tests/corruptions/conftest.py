"""Reference data of the ImageNet-C conformance set (../shared/conformance/imagenet_c), loaded once, and the
statistical check of random corruptions against it."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from evaluators.benchmarks import SEVERITIES

STAT_METRICS = ("psnr", "ssim", "mad")  # the first three metrics of stats_samples.npz, in its order


def _read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="session")
def imagenet_c_dir(conformance_dir: Path) -> Path:
    return conformance_dir / "imagenet_c"


@pytest.fixture(scope="session")
def manifest(imagenet_c_dir: Path) -> dict:
    return json.loads((imagenet_c_dir / "manifest.json").read_text())


@pytest.fixture(scope="session")
def stats(imagenet_c_dir: Path) -> dict:
    return json.loads((imagenet_c_dir / "stats.json").read_text())


@pytest.fixture(scope="session")
def raw_sha256() -> Callable[[np.ndarray], str]:
    """The manifest's hash: sha256 of the raw uint8 RGB bytes in C order."""
    return lambda array: hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="session")
def clean_images(imagenet_c_dir: Path, manifest: dict, raw_sha256: Callable) -> dict[str, np.ndarray]:
    """The conformance images' clean 224×224 inputs (read-only), checked against the manifest's hashes."""
    images = {name: _read_rgb(imagenet_c_dir / name / "clean.png") for name in manifest["images"]}
    for name, image in images.items():
        assert raw_sha256(image) == manifest["images"][name]["clean_sha256"]
        image.flags.writeable = False
    return images


@pytest.fixture(scope="session")
def golden(imagenet_c_dir: Path) -> Callable[[str, str, int], np.ndarray]:
    """golden(image, corruption, severity): the reference's output PNG as uint8."""
    return lambda image, name, severity: _read_rgb(imagenet_c_dir / image / name / f"{severity}.png")


@pytest.fixture(scope="session")
def reference_runs(imagenet_c_dir: Path) -> dict[tuple[str, str, int], np.ndarray]:
    """(image, corruption, severity) -> the reference's 16 runs × (PSNR, SSIM, MAD)."""
    samples = np.load(imagenet_c_dir / "stats_samples.npz")
    assert tuple(samples["metrics"][: len(STAT_METRICS)]) == STAT_METRICS
    return {(str(image), str(name), severity): samples["values"][i, c, severity - 1, :, : len(STAT_METRICS)]
            for i, image in enumerate(samples["images"]) for c, name in enumerate(samples["corruptions"])
            for severity in SEVERITIES}


def _image_metrics(clean: np.ndarray, out: np.ndarray) -> tuple[float, float, float]:
    return (peak_signal_noise_ratio(clean, out, data_range=255),
            structural_similarity(clean, out, channel_axis=-1, data_range=255),
            float(np.abs(out.astype(float) - clean).mean()))


@pytest.fixture(scope="session")
def image_metrics() -> Callable[[np.ndarray, np.ndarray], tuple[float, float, float]]:
    """(PSNR, SSIM, MAD) of a corrupted image against its clean one, as stats.json measures them."""
    return _image_metrics


@pytest.fixture(scope="session")
def distribution_failures(stats: dict, reference_runs: dict) -> Callable[[str, int, dict[str, np.ndarray]], list[str]]:
    """failures(corruption, severity, runs), runs mapping each image to its K × (PSNR, SSIM, MAD): what breaks
    the conformance README's tolerances — a run too far from the reference's own run on that image, a
    per-image mean too far from the reference's, or the set mean beyond `tol_set_mean_K16`·√(16/K)."""

    def failures(name: str, severity: int, runs: dict[str, np.ndarray]) -> list[str]:
        reference = stats["corruptions"][name][str(severity)]
        found = []
        for m, metric in enumerate(STAT_METRICS):
            tolerance = reference[f"tolerance_{metric}"]
            for image_name, values in runs.items():
                golden_run = reference_runs[image_name, name, severity][0, m]
                gap = float(np.abs(values[:, m] - golden_run).max())
                if gap > tolerance["tol_pair_same_image"]:
                    found.append(f"s{severity} {metric} {image_name}: a run is {gap:.4f} from the reference "
                                 f"run, bound {tolerance['tol_pair_same_image']:.4f}")
                delta = float(values[:, m].mean()) - reference["per_image"][image_name][f"{metric}_mean"]
                if abs(delta) > tolerance["tol_single_vs_image_mean"]:
                    found.append(f"s{severity} {metric} {image_name}: mean off by {delta:+.4f}, "
                                 f"bound {tolerance['tol_single_vs_image_mean']:.4f}")
            k = min(len(values) for values in runs.values())
            bound = tolerance["tol_set_mean_K16"] * np.sqrt(16 / k)
            delta = float(np.mean([values[:, m] for values in runs.values()])) - reference[f"{metric}_mean"]
            if abs(delta) > bound:
                found.append(f"s{severity} {metric}: set mean off by {delta:+.4f}, bound {bound:.4f}")
        return found

    return failures
