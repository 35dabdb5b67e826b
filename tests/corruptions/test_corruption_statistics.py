"""With a numpy Generator (not the reference's stream) the random corruptions must still follow the
reference's distribution: PSNR, SSIM and MAD against the clean image, compared with the conformance set's
16-seed statistics (stats.json, stats_samples.npz) under its own tolerances. K runs per image, seeded from
fixed Generators, so the check is deterministic:

* pair: each run is within `tol_pair_same_image` of the reference's own run on that image (seed k = 0, the
  golden PNG) — the tolerance is defined for two runs of one image under different seeds;
* per image: the mean of the K runs is within `tol_single_vs_image_mean` of the reference's per-image mean;
* per set: the mean of all 2·K runs is within `tol_set_mean_K16`·√(16/K) of the reference's set mean.
"""

import zlib

import numpy as np
import pytest

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt, corruption_entry

K = 4
STOCHASTIC = [name for name in ALL_CORRUPTIONS if not corruption_entry(name).deterministic]


@pytest.mark.parametrize("name", STOCHASTIC)
def test_generator_runs_follow_the_reference_distribution(name: str, clean_images: dict, image_metrics,
                                                          distribution_failures, frost_dir) -> None:
    failures = []
    for severity in SEVERITIES:
        runs = {}
        for image_name, clean in clean_images.items():
            rng = np.random.default_rng([zlib.crc32(f"{name}/{severity}/{image_name}".encode()), 2024])
            runs[image_name] = np.array([image_metrics(clean, corrupt(clean, name, severity, seed=rng,
                                                                      frost_dir=frost_dir)) for _ in range(K)])
        failures += distribution_failures(name, severity, runs)
    assert not failures, f"{name}: " + "; ".join(failures)
