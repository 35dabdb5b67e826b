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
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt_batch, corruption_entry
from evaluators.seeding import derive_seed

K = 4
METRICS = ("psnr", "ssim", "mad")  # the first three metrics of stats_samples.npz, in its order
STOCHASTIC = [name for name in ALL_CORRUPTIONS if not corruption_entry(name).deterministic]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def reference_runs(imagenet_c_dir) -> dict[tuple[str, str, int], np.ndarray]:
    """(image, corruption, severity) -> the reference's 16 runs × metrics."""
    samples = np.load(imagenet_c_dir / "stats_samples.npz")
    assert tuple(samples["metrics"][: len(METRICS)]) == METRICS
    return {(str(image), str(name), severity): samples["values"][i, c, severity - 1, :, : len(METRICS)]
            for i, image in enumerate(samples["images"]) for c, name in enumerate(samples["corruptions"])
            for severity in SEVERITIES}


def _metrics(clean: np.ndarray, out: np.ndarray) -> tuple[float, float, float]:
    return (peak_signal_noise_ratio(clean, out, data_range=255),
            structural_similarity(clean, out, channel_axis=-1, data_range=255),
            float(np.abs(out.astype(float) - clean).mean()))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", STOCHASTIC)
def test_torch_draws_follow_the_reference_distribution(name: str, device: str, clean_images: dict, stats: dict,
                                                       reference_runs: dict, frost_dir) -> None:
    image_names = list(clean_images)
    batch = torch.from_numpy(np.stack([clean_images[n] for n in image_names for _ in range(K)]))
    batch = batch.permute(0, 3, 1, 2).to(device)
    failures = []
    for severity in SEVERITIES:
        reference = stats["corruptions"][name][str(severity)]
        seeds = [derive_seed(2024, name, severity, n, k) for n in image_names for k in range(K)]
        out = corrupt_batch(batch, name, severity, seeds, frost_dir=frost_dir).permute(0, 2, 3, 1).cpu().numpy()
        runs = {n: np.array([_metrics(clean_images[n], out[i * K + k]) for k in range(K)])
                for i, n in enumerate(image_names)}
        for m, metric in enumerate(METRICS):
            tolerance = reference[f"tolerance_{metric}"]
            for image_name, values in runs.items():
                golden_run = reference_runs[image_name, name, severity][0, m]
                gap = float(np.abs(values[:, m] - golden_run).max())
                if gap > tolerance["tol_pair_same_image"]:
                    failures.append(f"s{severity} {metric} {image_name}: a run is {gap:.4f} from the reference "
                                    f"run, bound {tolerance['tol_pair_same_image']:.4f}")
                delta = float(values[:, m].mean()) - reference["per_image"][image_name][f"{metric}_mean"]
                if abs(delta) > tolerance["tol_single_vs_image_mean"]:
                    failures.append(f"s{severity} {metric} {image_name}: mean off by {delta:+.4f}, "
                                    f"bound {tolerance['tol_single_vs_image_mean']:.4f}")
            bound = tolerance["tol_set_mean_K16"] * np.sqrt(16 / K)
            delta = float(np.mean([values[:, m] for values in runs.values()])) - reference[f"{metric}_mean"]
            if abs(delta) > bound:
                failures.append(f"s{severity} {metric}: set mean off by {delta:+.4f}, bound {bound:.4f}")
    assert not failures, f"{name}: " + "; ".join(failures)
