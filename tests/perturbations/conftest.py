"""Reference data of the ImageNet-P conformance set (../shared/conformance/imagenet_p) and the inputs the
reference generator takes: Resize(256) of the photo, RGB."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluators.data.sample_photos import photo
from evaluators.data.transforms import resize_shorter

# Folders with release geometry (torchvision 0.2.1's affine): their target is chelsea_release_affine/.
RELEASE_AFFINE = ("zoom_blur", "translate", "rotate", "scale", "shear")


def _resized(name: str) -> np.ndarray:
    image = np.asarray(resize_shorter(Image.fromarray(photo(name))))
    image.flags.writeable = False
    return image


@pytest.fixture(scope="session")
def resized() -> Callable[[str], np.ndarray]:
    """resized(photo): a sample photo as the ImageNet-P blocks take it, RGB and Resize(256); uint8, read-only."""
    return _resized


@pytest.fixture(scope="session")
def imagenet_p_dir(conformance_dir: Path) -> Path:
    return conformance_dir / "imagenet_p"


@pytest.fixture(scope="session")
def p_manifest(imagenet_p_dir: Path) -> dict:
    return json.loads((imagenet_p_dir / "manifest.json").read_text())


@pytest.fixture(scope="session")
def reference_frames(p_manifest: dict) -> Callable[[str], dict]:
    """reference_frames(folder): the manifest's per-frame record (hashes, PSNRs, mean RGB) of the target,
    the release geometry for the affine perturbations."""
    return lambda folder: (p_manifest["release_affine"]["perturbations"] if folder in RELEASE_AFFINE
                           else p_manifest["perturbations"])[folder]


@pytest.fixture(scope="session")
def chelsea() -> np.ndarray:
    """The conformance input: skimage's chelsea, Resize(256) (384×256)."""
    return _resized("chelsea")


@pytest.fixture(scope="session")
def frame_sha256() -> Callable[[np.ndarray], str]:
    """The manifest's hash: sha256 of a frame's raw uint8 RGB bytes in C order."""
    return lambda frame: hashlib.sha256(np.ascontiguousarray(frame).tobytes()).hexdigest()


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


@pytest.fixture(scope="session")
def psnr() -> Callable[[np.ndarray, np.ndarray], float]:
    """psnr(a, b): dB with data range 255 over all values of two uint8 arrays (scikit-image's definition)."""
    return _psnr
