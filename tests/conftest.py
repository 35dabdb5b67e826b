"""Shared fixtures: where the reference conformance data lives, and real photos to test on."""

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFORMANCE_DIR = Path(os.environ.get("CPBENCH_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """`../shared/conformance` (or $CPBENCH_CONFORMANCE_DIR); tests that need it skip when it is absent."""
    if not (CONFORMANCE_DIR / "README.md").is_file():
        pytest.skip(f"reference conformance data not found at {CONFORMANCE_DIR}; set CPBENCH_CONFORMANCE_DIR")
    return CONFORMANCE_DIR


@pytest.fixture(scope="session")
def frost_dir(conformance_dir: Path) -> Path:
    """The reference frost textures shipped with the conformance data (cpbench does not ship them)."""
    return conformance_dir / "frost"


@pytest.fixture(scope="session")
def photo224() -> dict[str, np.ndarray]:
    """Real photos, Resize(256) + CenterCrop(224) as the reference preprocesses them: uint8 224x224x3."""
    from PIL import Image

    from evaluators.data.sample_photos import PHOTOS, photo
    from evaluators.data.transforms import resize_center_crop

    return {name: np.asarray(resize_center_crop(Image.fromarray(photo(name)))) for name in PHOTOS}
