"""glass_blur's local pixel shuffle (spec imagenet_cp.md §1.3), resolved without a Python pixel loop.

The reference visits the pixels (h, w) with δ < h, w ≤ size − δ in descending raster order and, for each,
draws (dx, dy) ∈ [−δ, δ)² and runs `x[h, w], x[h', w'] = x[h', w'], x[h, w]` with (h', w') = (h + dy, w + dx).
With NumPy views that "swap" is a copy: pixel (h, w) takes the *current* value of (h', w'), which keeps its
own. The current value of a source is its final value when the loop has already visited it (visited and
later in raster order), else its value from before the pass. So every pixel follows a chain of sources,
strictly increasing in raster order, until one that was not yet visited: pointer jumping resolves all
chains at once in O(log length) gathers, with results identical to the loop.
"""

from __future__ import annotations

from functools import cache

import numpy as np


def visit_order(height: int, width: int, delta: int) -> np.ndarray:
    """Flat indices (row·width + col) of the pixels the reference visits, in its visiting order."""
    return _layout(height, width, delta)[0]


@cache
def _layout(height: int, width: int, delta: int) -> tuple[np.ndarray, np.ndarray]:
    """(visit order, mask of the visited pixels), both over flat indices."""
    rows = np.arange(height - delta, delta, -1)
    cols = np.arange(width - delta, delta, -1)
    visited = (rows[:, None] * width + cols[None, :]).ravel()
    in_region = np.zeros(height * width, dtype=bool)
    in_region[visited] = True
    for array in (visited, in_region):
        array.flags.writeable = False
    return visited, in_region


def shuffle_sources(height: int, width: int, delta: int, shifts: np.ndarray) -> np.ndarray:
    """For one pass, the flat index each pixel's final value is read from (before the pass).

    `shifts`: int (n, 2) array of the (dx, dy) draws in visiting order, n = (size − 2δ)² for a square image.
    Returns `sources` (height·width,) so that `after.flat = before.flat[sources]` (pixel-wise).
    """
    visited, in_region = _layout(height, width, delta)
    if shifts.shape != (visited.size, 2):
        raise ValueError(f"expected {visited.size} (dx, dy) pairs, got shape {shifts.shape}")
    # Sources stay inside the image (|dx|, |dy| <= delta), so flat offsets never wrap a row.
    src = visited + shifts[:, 1] * width + shifts[:, 0]
    follows = in_region[src] & (src > visited)  # visited earlier: read its final value
    link = np.arange(height * width)  # the next pixel of the chain; roots point at themselves
    link[visited] = np.where(follows, src, visited)
    origin = np.arange(height * width)  # what a chain's root reads (before the pass)
    origin[visited] = src
    while True:
        jumped = link[link]
        if np.array_equal(jumped, link):
            break
        link = jumped
    return origin[link]


def local_shuffle(image: np.ndarray, delta: int, shifts: np.ndarray) -> np.ndarray:
    """The reference's shuffle loop on an H×W(×C) image for every pass; `shifts` is (passes, n, 2) of the
    (dx, dy) draws in the reference's draw order. Returns a new array."""
    height, width = image.shape[:2]
    sources = np.arange(height * width)
    for one_pass in shifts:  # compose the passes, then move the pixels once
        sources = sources[shuffle_sources(height, width, delta, one_pass)]
    pixels = image.reshape(height * width, -1)
    return np.take(pixels, sources, axis=0).reshape(image.shape)
