"""The random perturbations under a NumPy Generator (what make-p uses) follow the reference's distributions:
per-frame statistics of the conformance sequences (noise), and the spread of the reference's own sequences
over seeds (snow, spatter: one random layer per sequence)."""

import numpy as np
import pytest

from evaluators.perturbations import perturbation_folder, sequence

NOISE = [("gaussian_noise", 1), ("gaussian_noise", 3), ("shot_noise", 1), ("shot_noise", 2), ("shot_noise", 3),
         ("speckle_noise", 1), ("speckle_noise", 3)]


@pytest.mark.parametrize(("name", "difficulty"), NOISE, ids=[perturbation_folder(p, d) for p, d in NOISE])
def test_noise_frames_match_the_reference_statistics(chelsea, reference_frames, psnr, name, difficulty):
    """PSNR to frame 0 and mean level of the 30 noisy frames: the means agree within 4 standard errors of a
    difference of two 30-frame means, with the reference's frame-to-frame spread."""
    reference = reference_frames(perturbation_folder(name, difficulty))
    frames = sequence(chelsea, name, difficulty, seed=np.random.default_rng(11))
    ours = {"psnr": np.array([psnr(frames[0], frame) for frame in frames[1:]]),
            "level": frames[1:].mean(axis=(1, 2, 3))}
    theirs = {"psnr": np.array(reference["psnr_vs_frame0"][1:]),
              "level": np.array(reference["frame_mean_rgb"][1:]).mean(axis=1)}
    assert np.array_equal(frames[0], sequence(chelsea, name, difficulty, seed=0)[0])
    for key, values in ours.items():
        bound = 4 * theirs[key].std(ddof=1) * np.sqrt(2 / 30)
        assert abs(values.mean() - theirs[key].mean()) <= bound, key


def _summary(frames: np.ndarray, psnr) -> tuple[float, float]:
    return float(np.mean([psnr(frames[0], frame) for frame in frames[1:]])), float(frames.mean())


@pytest.mark.parametrize("name", ["snow", "spatter"])
def test_one_layer_sequences_spread_like_the_reference(chelsea, reference_frames, psnr, name):
    """Mean PSNR to frame 0 and mean level over 8 Generator seeds against 8 runs of the reference (int seeds,
    bit-identical to it): the means agree within 4 standard errors; the conformance sequence (seed 7) lies
    within 4 standard deviations of the reference runs."""
    reference = np.array([_summary(sequence(chelsea, name, seed=k), psnr) for k in range(8)])
    ours = np.array([_summary(sequence(chelsea, name, seed=np.random.default_rng(k)), psnr) for k in range(8)])
    spread = np.sqrt(reference.var(axis=0, ddof=1) / 8 + ours.var(axis=0, ddof=1) / 8)
    assert np.all(np.abs(ours.mean(axis=0) - reference.mean(axis=0)) <= 4 * spread)
    seed_7 = reference_frames(name)
    shipped = (np.mean(seed_7["psnr_vs_frame0"][1:]), np.mean(seed_7["frame_mean_rgb"]))
    assert np.all(np.abs(np.array(shipped) - reference.mean(axis=0)) <= 4 * reference.std(axis=0, ddof=1))
