"""The per-value alias tables behind the noise perturbations under a Generator: exact integer probabilities,
the reference's output distributions, and sampling that follows them."""

import numpy as np
import pytest
import torch

from evaluators.corruptions.noise import shot_noise, speckle_noise
from evaluators.corruptions.registry import Context
from evaluators.perturbations import value_noise
from evaluators.perturbations.value_noise import LEVELS, alias_table, sample

TABLES = [(value_noise.gaussian_table, 0.08), (value_noise.shot_table, 60), (value_noise.speckle_table, 0.15)]


def _probabilities(table: value_noise.AliasTable) -> np.ndarray:
    """P(out = o | v) implied by the alias tables, in units of 2**-32 (exact integers)."""
    capacity = 1 << 24
    keep = table.threshold.astype(np.int64).reshape(LEVELS, LEVELS)
    alias = table.outcome[: LEVELS * LEVELS].reshape(LEVELS, LEVELS)
    mass = keep.copy()
    for row in range(LEVELS):
        np.add.at(mass[row], alias[row], capacity - keep[row])
    return mass


def test_alias_tables_hold_the_rounded_masses_exactly():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(LEVELS, 0.3), size=LEVELS)
    p[3] = 0.0
    p[3, 17] = 1.0  # a certain outcome
    mass = _probabilities(alias_table(p))
    assert np.all(mass.sum(axis=1) == 1 << 32)
    assert np.abs(mass / 2.0**32 - p).max() <= 2.0**-32 * 2
    assert mass[3, 17] == 1 << 32


def _reference_histograms(name: str, constant: float, values: np.ndarray, repeats: int) -> np.ndarray:
    """out-histograms per input value from the reference's own arithmetic (legacy stream / torch)."""
    image = np.broadcast_to(values[:, None, None], (LEVELS, 8, 3)).astype(np.uint8)
    counts = np.zeros((LEVELS, LEVELS))
    generator = torch.Generator().manual_seed(0)
    rng = np.random.RandomState(0)
    for _ in range(repeats):
        if name == "gaussian_table":
            x = torch.from_numpy(image).to(torch.float32).div(255)
            out = (x + constant * torch.randn(x.shape, generator=generator)).clamp(0, 1).mul(255).to(torch.uint8)
            out = out.numpy()
        elif name == "shot_table":
            out = shot_noise(image, constant, Context(rng)).astype(np.uint8)
        else:
            out = speckle_noise(image, constant, Context(rng)).astype(np.uint8)
        np.add.at(counts, (image.ravel(), out.ravel()), 1)
    return counts


@pytest.mark.parametrize(("build", "constant"), TABLES, ids=[t[0].__name__ for t in TABLES])
def test_tables_are_the_reference_distributions(build, constant):
    """Each row against 9,600 draws of the reference's arithmetic for that value: total variation within
    what sampling noise allows, mean and variance of the output within 5 standard errors."""
    table = build(constant)
    p = _probabilities(table) / 2.0**32
    counts = _reference_histograms(build.__name__, constant, np.arange(LEVELS), 400)
    n = counts.sum(axis=1, keepdims=True)
    empirical = counts / n
    assert np.abs(empirical - p).sum(axis=1).max() < 0.12
    centred = np.arange(LEVELS)[None, :] - (p @ np.arange(LEVELS))[:, None]
    mean, var, fourth = np.zeros(LEVELS), (p * centred**2).sum(1), (p * centred**4).sum(1)
    assert np.all(np.abs((empirical * centred).sum(1) - mean) <= 5 * np.sqrt(var / n[:, 0]) + 1e-9)
    assert np.all(np.abs((empirical * centred**2).sum(1) - var) <= 5 * np.sqrt((fourth - var**2) / n[:, 0]) + 1e-9)


def test_sampling_follows_the_table():
    table = value_noise.gaussian_table(0.05)
    values = np.repeat(np.array([0, 7, 128, 250], dtype=np.uint8), 50_000)
    frames = sample(table, values, 4, np.random.default_rng(3))
    assert frames.shape == (4, values.size) and frames.dtype == np.uint8
    p = _probabilities(table) / 2.0**32
    for v in (0, 7, 128, 250):
        drawn = frames[:, values == v].ravel()
        empirical = np.bincount(drawn, minlength=LEVELS) / drawn.size
        assert np.abs(empirical - p[v]).sum() < 0.02
    again = sample(table, values, 4, np.random.default_rng(3))
    assert np.array_equal(frames, again)
