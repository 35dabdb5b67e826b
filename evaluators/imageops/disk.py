"""The anti-aliased disk kernel of defocus_blur (spec imagenet_cp.md §1.3), as the reference builds it."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np


@cache
def disk_kernel(radius: int, alias_blur: float) -> np.ndarray:
    """float32 kernel, sum 1 before the anti-alias blur (read-only).

    Grid −8..8 with a 3×3 GaussianBlur(σ = alias_blur) for radius ≤ 8, else −radius..radius with 5×5 —
    so radii 3–8 all get a 17×17 kernel. Built in float32, as the reference's `disk(dtype=np.float32)`.
    """
    if radius <= 8:
        grid, ksize = np.arange(-8, 8 + 1), (3, 3)
    else:
        grid, ksize = np.arange(-radius, radius + 1), (5, 5)
    x, y = np.meshgrid(grid, grid)
    aliased = np.array((x**2 + y**2) <= radius**2, dtype=np.float32)
    aliased /= np.sum(aliased)
    kernel = cv2.GaussianBlur(aliased, ksize=ksize, sigmaX=alias_blur)
    kernel.flags.writeable = False
    return kernel
