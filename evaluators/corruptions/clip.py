"""The reference's closing `np.clip(x, 0, 1) * 255`, done in place.

Same values, but no fresh 1 MB temporaries: on these small images, page faults on new arrays cost more
than the arithmetic. Only for arrays the caller owns.
"""

from __future__ import annotations

import numpy as np


def clip_to_255(x: np.ndarray) -> np.ndarray:
    """np.clip(x, 0, 1) * 255, overwriting and returning `x` (float32 stays float32)."""
    np.clip(x, 0, 1, out=x)
    x *= 255
    return x
