"""The batched path's random corruptions, drawing their fields with torch, follow the reference's
distribution: PSNR, SSIM and MAD against the clean image, compared with the conformance set's 16-seed
statistics (stats.json, stats_samples.npz) under its own tolerances, as test_corruption_statistics checks
the numpy path. K runs per image (fixed per-image seeds, so the check is deterministic), all 2·K in one batch:

* pair: each run is within `tol_pair_same_image` of the reference's own run on that image (k = 0);
* per image: the mean of the K runs is within `tol_single_vs_image_mean` of the reference's per-image mean;
* per set: the mean of all 2·K runs is within `tol_set_mean_K16`·√(16/K) of the reference's set mean.
"""

import numpy as np
import pytest
import torch

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt_batch, corruption_entry
from evaluators.seeding import derive_seed

K = 4
STOCHASTIC = [name for name in ALL_CORRUPTIONS if not corruption_entry(name).deterministic]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", STOCHASTIC)
def test_torch_draws_follow_the_reference_distribution(name: str, device: str, clean_images: dict, image_metrics,
                                                       distribution_failures, frost_dir) -> None:
    image_names = list(clean_images)
    batch = torch.from_numpy(np.stack([clean_images[n] for n in image_names for _ in range(K)]))
    batch = batch.permute(0, 3, 1, 2).to(device)
    failures = []
    for severity in SEVERITIES:
        seeds = [derive_seed(2024, name, severity, n, k) for n in image_names for k in range(K)]
        out = corrupt_batch(batch, name, severity, seeds, frost_dir=frost_dir).permute(0, 2, 3, 1).cpu().numpy()
        runs = {n: np.array([image_metrics(clean_images[n], out[i * K + k]) for k in range(K)])
                for i, n in enumerate(image_names)}
        failures += distribution_failures(name, severity, runs)
    assert not failures, f"{name}: " + "; ".join(failures)
