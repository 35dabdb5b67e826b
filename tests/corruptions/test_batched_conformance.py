"""`corrupt_batch` against the numpy path, all 19 corruptions × 5 severities, on the conformance images (their
golden PNGs) and the eight `photo224` photos (the numpy path's output), in one batch of 10.

Deterministic corruptions directly; random ones with `numpy_rng=True`, which feeds the batched code the
numpy path's own draws for each image's seed (the manifest's seed for the conformance images), so that their
device code is checked value for value too. On the CPU the batched path repeats the numpy path's operations
and must give its bytes; on a GPU it must stay within the conformance README's deterministic tolerance
(max abs diff ≤ 1 and ≤ 5 % of values differing, 20 % for brightness and saturate).
"""

import numpy as np
import pytest
import torch

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt, corrupt_batch, corruption_entry
from evaluators.seeding import derive_seed

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
LOOSE = {"brightness", "saturate"}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL_CORRUPTIONS)
def test_matches_the_numpy_path(name: str, device: str, clean_images: dict, manifest: dict, golden,
                                photo224: dict, frost_dir) -> None:
    conformance, photos = list(clean_images), sorted(photo224)
    batch = torch.from_numpy(np.stack([clean_images[n] for n in conformance] + [photo224[n] for n in photos]))
    batch = batch.permute(0, 3, 1, 2).to(device)
    random = not corruption_entry(name).deterministic
    for severity in SEVERITIES:
        seeds = ([manifest["outputs"][f"{n}/{name}/{severity}"]["seed"] or 0 for n in conformance]
                 + [derive_seed(0, name, severity, n) for n in photos])
        expected = np.stack([golden(n, name, severity) for n in conformance]
                            + [corrupt(photo224[n], name, severity, seed=seed, frost_dir=frost_dir)
                               for n, seed in zip(photos, seeds[len(conformance):], strict=True)])
        out = corrupt_batch(batch, name, severity, seeds, numpy_rng=random, frost_dir=frost_dir)
        assert out.dtype == torch.uint8 and out.shape == batch.shape and out.device == batch.device
        diff = np.abs(out.permute(0, 2, 3, 1).cpu().numpy().astype(int) - expected)
        summary = f"s{severity}: max abs diff {diff.max()}, {(diff > 0).mean():.4%} of values differ"
        if device == "cpu":
            assert diff.max() == 0, summary
        else:
            assert diff.max() <= 1 and (diff > 0).mean() <= (0.20 if name in LOOSE else 0.05), summary
