"""Random streams for the corruptions: which NumPy generator a seed means, and the one call that differs
between NumPy's two generator APIs.

An int seed reproduces the reference (spec imagenet_cp.md §1.6; conformance README "Seed protocol"): for
every random corruption but impulse_noise it seeds a legacy `RandomState` (MT19937), the stream behind the
reference's `np.random.seed(seed)`; impulse_noise draws through scikit-image's `random_noise`, which takes
`np.random.default_rng(seed)` (PCG64). A `Generator` is used as given (same distributions, not the
reference's stream); None draws fresh entropy. NumPy's global RNG is never touched.
"""

from __future__ import annotations

from enum import Enum
from numbers import Integral

import numpy as np

from evaluators.errors import InvalidInputError

Rng = np.random.RandomState | np.random.Generator


class IntSeedStream(Enum):
    """The stream an int seed drives, as in the reference."""

    LEGACY = "RandomState"  # np.random.seed(seed)
    PCG64 = "default_rng"  # skimage.util.random_noise(..., rng=seed)


def make_rng(seed: int | np.random.Generator | None, stream: IntSeedStream) -> Rng:
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        if not 0 <= int(seed) < 2**32:
            raise InvalidInputError(f"an int seed must be in [0, 2**32) (NumPy's legacy seed range), got {seed}")
        if stream is IntSeedStream.LEGACY:
            return np.random.RandomState(int(seed))
        return np.random.default_rng(int(seed))
    raise InvalidInputError(f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}")


def randint(rng: Rng, low: int, high: int | None = None,
            size: int | tuple[int, ...] | None = None) -> int | np.ndarray:
    """`RandomState.randint` / `Generator.integers` (high exclusive), whichever `rng` is."""
    if isinstance(rng, np.random.RandomState):
        return rng.randint(low, high, size=size)
    return rng.integers(low, high, size=size)
