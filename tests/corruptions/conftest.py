"""Reference data of the ImageNet-C conformance set (../shared/conformance/imagenet_c), loaded once."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


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
