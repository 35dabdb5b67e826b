"""Exact-distribution sampling of per-value noise on uint8 images, for the noise perturbations under a NumPy
Generator (an int seed keeps the reference's own streams instead).

A noise frame maps every uint8 value v of the clean crop independently to a random uint8 output whose
distribution depends on v only: 256 input values × 256 outputs, one table. Sampling it with Walker's alias
method costs one 32-bit random word per value and a few integer passes, several times cheaper than drawing
Poisson or normal variates and converting them as the reference does: its low 8 bits pick a column, its high
24 bits keep the column or take its alias. Probabilities are held as integers out of 2**32 per row, so
each output has its probability to within 2**-32.

The tables are the reference's arithmetic taken to the limit: out = uint8(255·clip(value, 0, 1)) with
value = x + σ·Z (gaussian_noise), x + x·σ·Z (speckle_noise) or Poisson(λ·x)/λ (shot_noise), x = v/255;
for the continuous ones, floating-point rounding at the bin edges (probability ≈ 1e-16) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import special, stats

LEVELS = 256
_COLUMN_BITS = 8
_CAPACITY = 1 << (32 - _COLUMN_BITS)  # probability units per alias column: 2**24


@dataclass(frozen=True)
class AliasTable:
    """Walker alias tables of all 256 rows, flat over (v << 8) | column."""

    threshold: np.ndarray  # uint32: keep the column when the high 24 bits are below this
    outcome: np.ndarray  # uint8, 2·65536: [alias of each cell | the cell's own column]


def alias_table(probabilities: np.ndarray) -> AliasTable:
    """Alias tables of a 256×256 row-stochastic matrix (row v: the output distribution for input v)."""
    threshold = np.empty((LEVELS, LEVELS), dtype=np.uint32)
    alias = np.empty((LEVELS, LEVELS), dtype=np.uint8)
    for row, p in enumerate(probabilities):
        mass = _integer_masses(p)
        small = [o for o in range(LEVELS) if mass[o] < _CAPACITY]
        large = [o for o in range(LEVELS) if mass[o] >= _CAPACITY]
        keep, other = [_CAPACITY] * LEVELS, list(range(LEVELS))
        while small and large:  # Vose: fill each under-full column from an over-full one, exactly in integers
            under, over = small.pop(), large.pop()
            keep[under], other[under] = mass[under], over
            mass[over] -= _CAPACITY - mass[under]
            (small if mass[over] < _CAPACITY else large).append(over)
        threshold[row], alias[row] = keep, other
    own = np.tile(np.arange(LEVELS, dtype=np.uint8), LEVELS)
    return AliasTable(threshold.ravel(), np.concatenate((alias.ravel(), own)))


def _integer_masses(p: np.ndarray) -> list[int]:
    """p scaled to non-negative integers summing to exactly 2**32 (largest remainders get the rest)."""
    scaled = np.clip(p, 0.0, None) / p.sum() * float(LEVELS * _CAPACITY)
    mass = np.floor(scaled).astype(np.int64)
    short = LEVELS * _CAPACITY - int(mass.sum())
    mass[np.argsort(mass - scaled, kind="stable")[:short]] += 1
    return mass.tolist()


def sample(table: AliasTable, values: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` independent noisy copies of the uint8 array `values`: uint8 (count, *values.shape)."""
    flat = values.ravel()
    rows = flat.astype(np.intp) << _COLUMN_BITS
    total = count * flat.size
    # The bit generator's raw 64-bit output, two 32-bit words each: cheaper than integers(), as uniform.
    words = rng.bit_generator.random_raw((total + 1) // 2).view(np.uint32)[:total].reshape(count, flat.size)
    out = np.empty((count, flat.size), dtype=np.uint8)
    cell, half = np.empty(flat.size, dtype=np.intp), np.empty(flat.size, dtype=np.intp)
    part, threshold = np.empty(flat.size, dtype=np.uint32), np.empty(flat.size, dtype=np.uint32)
    keep = np.empty(flat.size, dtype=bool)
    for word, frame in zip(words, out, strict=True):  # frame by frame: the work arrays stay in cache
        np.bitwise_and(word, LEVELS - 1, out=part)
        np.bitwise_or(rows, part, out=cell)
        np.right_shift(word, _COLUMN_BITS, out=part)
        np.take(table.threshold, cell, out=threshold)
        np.less(part, threshold, out=keep)
        np.left_shift(keep, 2 * _COLUMN_BITS, out=half, casting="unsafe")  # kept: the own-column half
        cell += half
        np.take(table.outcome, cell, out=frame)
    return out.reshape(count, *values.shape)


def _survival_table(survival: np.ndarray) -> np.ndarray:
    """Row-stochastic P(out = o | v) from S[v, o] = P(out ≥ o | v) for o = 1..255."""
    upper = np.concatenate((np.ones((LEVELS, 1)), survival, np.zeros((LEVELS, 1))), axis=1)
    return np.clip(upper[:, :-1] - upper[:, 1:], 0.0, None)


@cache
def gaussian_table(sigma: float) -> AliasTable:
    """out = uint8(255·clip(v/255 + σ·Z)): out ≥ o ⟺ Z ≥ (o − v)/(255σ)."""
    v, o = np.arange(LEVELS)[:, None], np.arange(1, LEVELS)[None, :]
    return alias_table(_survival_table(special.ndtr((v - o) / (255.0 * sigma))))


@cache
def speckle_table(sigma: float) -> AliasTable:
    """out = uint8(255·clip(x + x·σ·Z)), x = v/255: out ≥ o ⟺ Z ≥ (o/v − 1)/σ (v = 0 stays 0)."""
    v, o = np.arange(1, LEVELS)[:, None], np.arange(1, LEVELS)[None, :]
    survival = np.zeros((LEVELS, LEVELS - 1))
    survival[1:] = special.ndtr((1.0 - o / v) / sigma)
    return alias_table(_survival_table(survival))


@cache
def shot_table(photons: float) -> AliasTable:
    """out = uint8(255·clip(K/λ)), K ~ Poisson(λ·v/255), with the reference's own arithmetic for each K."""
    k = np.arange(int(np.ceil(photons)) + 1)  # every K ≥ λ gives 255
    outputs = np.uint8(255 * np.clip(k / photons, 0, 1))
    rates = np.arange(LEVELS) / 255.0 * photons
    pmf = stats.poisson.pmf(k[None, :-1], rates[:, None])
    table = np.zeros((LEVELS, LEVELS))
    for row, rate in enumerate(rates):
        np.add.at(table[row], outputs[:-1], pmf[row])
        table[row, 255] += stats.poisson.sf(k[-2], rate)
    return alias_table(table)
