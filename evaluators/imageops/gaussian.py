"""Gaussian blurs as the reference gets them from `skimage.filters.gaussian`, which is SciPy's
`gaussian_filter` after scikit-image's argument handling (scikit-image ≥ 0.19: float32 stays float32).

`gaussian_filter` is that call without scikit-image's overhead; `gaussian_kernel1d` gives SciPy's weights
(for a torch path); `reflect_gaussian_matrix` turns a wide reflect-mode blur (elastic_transform's σ = 170.8,
a 1025-tap kernel on a 224-sample axis) into one matrix product per axis.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import ndimage


def gaussian_filter(
    image: np.ndarray,
    sigma: float,
    *,
    mode: str = "nearest",
    truncate: float = 4.0,
    channel_axis: int | None = -1,
    in_place: bool = False,
) -> np.ndarray:
    """`skimage.filters.gaussian(image, sigma, mode=mode, truncate=truncate, channel_axis=channel_axis)` for a
    float image: the same SciPy call (σ = 0, i.e. no blur, along the channel axis), bit for bit.

    in_place: write the result over `image` (SciPy filters line by line through buffers, and itself reuses
    its output between axes), sparing a fresh array, which costs more than the filter on small images.
    """
    if image.dtype.kind != "f":
        raise ValueError(f"gaussian_filter expects a float image, got {image.dtype}")
    sigmas = [float(sigma)] * image.ndim
    if channel_axis is not None:
        sigmas[channel_axis] = 0.0
    output = image if in_place else None
    return ndimage.gaussian_filter(image, sigmas, output=output, mode=mode, truncate=truncate)


def kernel_radius(sigma: float, truncate: float = 4.0) -> int:
    """SciPy's kernel half-width for a Gaussian: int(truncate·σ + 0.5)."""
    return int(truncate * float(sigma) + 0.5)


@cache
def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """SciPy's normalised 1-D Gaussian weights, length 2·radius + 1, float64 (read-only)."""
    radius = kernel_radius(sigma, truncate)
    x = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 / (sigma * sigma) * x**2)
    weights /= weights.sum()
    weights.flags.writeable = False
    return weights


@cache
def reflect_gaussian_matrix(size: int, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """M (size×size) with M @ v = SciPy's 1-D Gaussian filter of v in mode 'reflect' (d c b a | a b c d),
    the taps that fall outside folded back in; any radius, even one larger than the axis.

    Agrees with SciPy to rounding (not bit for bit: the sums are grouped differently).
    """
    weights = gaussian_kernel1d(sigma, truncate)
    radius = len(weights) // 2
    period = 2 * size
    source = np.arange(size)[:, None] + np.arange(-radius, radius + 1)[None, :]
    source %= period
    source = np.where(source >= size, period - 1 - source, source)
    matrix = np.zeros((size, size))
    np.add.at(matrix, (np.repeat(np.arange(size), len(weights)), source.ravel()), np.tile(weights, size))
    matrix.flags.writeable = False
    return matrix
