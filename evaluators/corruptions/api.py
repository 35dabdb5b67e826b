"""`corrupt`: one ImageNet-C corruption of one image, as the reference computes it."""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np

from evaluators.benchmarks import SEVERITIES
from evaluators.corruptions import blur, digital, frost, noise, weather  # noqa: F401  (they register)
from evaluators.corruptions.registry import CORRUPTION_REGISTRY, Context, CorruptionEntry
from evaluators.corruptions.rng import make_rng
from evaluators.errors import InvalidInputError

# The reference hard-codes 224 (glass blur's loops, snow's and motion blur's reshapes, frost's crop), and the
# 224 edition's constants assume it: other sizes are refused rather than silently given other semantics.
IMAGE_SHAPE = (224, 224, 3)


def corruption_entry(name: str) -> CorruptionEntry:
    """The registry entry of a corruption (UnknownNameError lists the known names)."""
    return CORRUPTION_REGISTRY.get(name)


def check_image(image: object) -> np.ndarray:
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.shape == IMAGE_SHAPE:
        return np.ascontiguousarray(image)
    got = (f"{image.dtype} {'x'.join(map(str, image.shape))}" if isinstance(image, np.ndarray)
           else type(image).__name__)
    raise InvalidInputError(
        "image must be a uint8 numpy array of shape 224x224x3 (RGB; the ImageNet-C 224 edition, whose "
        f"reference hard-codes 224), got {got}"
    )


def check_severity(severity: object) -> int:
    # The reference accepts 0 and silently uses severity 5's constants (c[severity - 1]); refused here.
    if isinstance(severity, bool) or not isinstance(severity, Integral) or int(severity) not in SEVERITIES:
        raise InvalidInputError(f"severity must be an int in 1..5, got {severity!r}")
    return int(severity)


def corrupt(
    image: np.ndarray,
    name: str,
    severity: int,
    seed: int | np.random.Generator | None = None,
    *,
    frost_dir: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """Apply corruption `name` at `severity` (1..5) to a uint8 224×224×3 RGB image; returns a new uint8 array.

    seed: an int reproduces the reference bit for bit where the conformance data say "seed-exact" (the
    reference's `np.random.seed(seed)` stream, or `default_rng(seed)` for impulse_noise, see `rng`); a
    `numpy.random.Generator` draws the same distributions from that generator; None uses fresh entropy.
    Deterministic corruptions ignore the seed. frost_dir: where frost1.png … frost5.jpg are (see `frost`).
    The result is the reference's `np.uint8(...)` of its float output: truncated, not rounded.
    """
    entry = corruption_entry(name)
    image = check_image(image)
    params = entry.params_for(check_severity(severity))
    context = Context(rng=make_rng(seed, entry.int_seed), frost_dir=frost_dir)
    return np.asarray(entry.fn(image, params, context)).astype(np.uint8)
