"""The reference's diamond-square `plasma_fractal` (fog's haze; spec imagenet_cp.md §1.3), drawing from the
RNG in the reference's order so that a legacy `RandomState` seeded like the reference gives the same map.
"""

from __future__ import annotations

import numpy as np


def plasma_fractal(rng: np.random.RandomState | np.random.Generator, mapsize: int = 256,
                   wibbledecay: float = 3.0) -> np.ndarray:
    """float64 mapsize×mapsize height map scaled to [0, 1]; the map wraps around (np.roll neighbours).

    Per level (step s = mapsize … 2, wibble w = 100 divided by `wibbledecay` after each level): square
    centres, then the diamond points on the corner rows, then those on the corner columns, each the mean
    of its four neighbours plus w·U(−w, w) — the amplitude is w², as in the reference.
    """
    if mapsize & (mapsize - 1):
        raise ValueError(f"mapsize must be a power of two, got {mapsize}")
    heights = np.empty((mapsize, mapsize), dtype=np.float64)
    heights[0, 0] = 0.0
    step, wibble = mapsize, 100.0

    def wibbled_mean(total: np.ndarray) -> np.ndarray:
        return total / 4 + wibble * rng.uniform(-wibble, wibble, total.shape)

    while step >= 2:
        half = step // 2
        corners = heights[0:mapsize:step, 0:mapsize:step]
        square = corners + np.roll(corners, shift=-1, axis=0)
        square += np.roll(square, shift=-1, axis=1)
        heights[half:mapsize:step, half:mapsize:step] = wibbled_mean(square)
        centres = heights[half:mapsize:step, half:mapsize:step]
        corners = heights[0:mapsize:step, 0:mapsize:step]
        along_rows = (centres + np.roll(centres, 1, axis=0)) + (corners + np.roll(corners, -1, axis=1))
        heights[0:mapsize:step, half:mapsize:step] = wibbled_mean(along_rows)
        along_cols = (centres + np.roll(centres, 1, axis=1)) + (corners + np.roll(corners, -1, axis=0))
        heights[half:mapsize:step, 0:mapsize:step] = wibbled_mean(along_cols)
        step //= 2
        wibble /= wibbledecay
    heights -= heights.min()
    return heights / heights.max()
