"""Every golden output of the reference, 19 corruptions × 5 severities × 2 images, reproduced bit for bit.

Deterministic corruptions ignore the seed; the random ones get the manifest's seed (1000·severity + image
index), which means the reference's `np.random.seed(seed)` stream (impulse_noise: `default_rng(seed)`).
motion_blur and snow go through cpbench's own ImageMagick kernel and are exact too.
"""

from pathlib import Path

import numpy as np
import pytest

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt, corruption_entry

IMAGES = ("chelsea", "coffee")


@pytest.mark.parametrize("image_name", IMAGES)
@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", ALL_CORRUPTIONS)
def test_matches_reference_bit_for_bit(name, severity, image_name, clean_images, manifest, golden, raw_sha256,
                                       frost_dir: Path) -> None:
    expected = manifest["outputs"][f"{image_name}/{name}/{severity}"]
    assert expected["deterministic"] == corruption_entry(name).deterministic
    seed = expected["seed"]  # None for the deterministic corruptions
    out = corrupt(clean_images[image_name], name, severity, seed=seed, frost_dir=frost_dir)
    assert out.dtype == np.uint8 and out.shape == (224, 224, 3)
    if raw_sha256(out) != expected["sha256"]:
        diff = np.abs(out.astype(int) - golden(image_name, name, severity))
        pytest.fail(f"{image_name}/{name}/{severity}: max abs diff {diff.max()}, "
                    f"{(diff > 0).mean():.4%} of values differ")
