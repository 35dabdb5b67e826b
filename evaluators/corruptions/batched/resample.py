"""Resampling on a batch: the reference's `clipped_zoom` (SciPy's order-1 zoom) and Pillow's BOX resize.

clipped_zoom gathers the taps `imageops.zoom.clipped_zoom_taps` builds and sums them in SciPy's order, bit for
bit. Pillow's BOX resize of an 8-bit image is two passes (horizontal, then vertical) of fixed-point
weights with 22 fractional bits, each rounded back to 8 bits (`libImaging/Resample.c`): as integer matrices,
whose products are exact in float64 on any device (every partial sum is an integer below 2⁵³).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import torch

from evaluators.imageops.zoom import clipped_zoom_taps

_PRECISION_BITS = 22  # Pillow's 32 − 8 − 2


@cache
def _zoom_taps(size: int, zoom: float, device: torch.device) -> tuple[torch.Tensor, ...]:
    taps = clipped_zoom_taps(size, zoom)
    return tuple(torch.tensor(a, device=device) for a in (taps.lo, taps.hi, taps.w_lo, taps.w_hi))


def clipped_zoom(x: torch.Tensor, zoom: float) -> torch.Tensor:
    """`imageops.zoom.clipped_zoom` of the square (H, W) planes of `x`, as float64 (the caller casts, as the
    numpy path casts to the input's dtype)."""
    lo, hi, w_lo, w_hi = _zoom_taps(x.shape[-1], float(zoom), x.device)
    planes = x.to(torch.float64)
    row_lo = planes.index_select(-2, lo) * w_lo[:, None]
    row_hi = planes.index_select(-2, hi) * w_hi[:, None]
    # Columns through gather: on the CPU far faster than index_select along the last dim.
    col_lo, col_hi = lo.expand(row_lo.shape), hi.expand(row_lo.shape)
    out = row_lo.gather(-1, col_lo) * w_lo
    out += row_lo.gather(-1, col_hi) * w_hi
    out += row_hi.gather(-1, col_lo) * w_lo
    out += row_hi.gather(-1, col_hi) * w_hi
    return out


@cache
def pil_box_weights(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pillow's BOX resampling of an axis from `in_size` to `out_size` samples, as (out, in) matrices: the
    normalised float64 weights, and the 8-bit path's fixed-point integers (read-only).

    Pillow (`precompute_coeffs`): centre = (i + 0.5)·scale, scale = in/out; the taps are the input samples
    whose centres fall in (centre − s, centre + s], s = max(scale, 1)/2, each weighing 1 before normalising.
    """
    scale = float(in_size) / out_size
    filter_scale = max(scale, 1.0)
    support = 0.5 * filter_scale
    reciprocal = 1.0 / filter_scale
    weights = np.zeros((out_size, in_size))
    for out in range(out_size):
        centre = (out + 0.5) * scale
        first = max(int(centre - support + 0.5), 0)
        stop = min(int(centre + support + 0.5), in_size)
        taps = [1.0 if -0.5 < (tap - centre + 0.5) * reciprocal <= 0.5 else 0.0 for tap in range(first, stop)]
        total = sum(taps)
        weights[out, first:stop] = [tap / total for tap in taps] if total else taps
    fixed = np.trunc(weights * (1 << _PRECISION_BITS) + 0.5)  # C's (int)(0.5 + w·2²²) for w ≥ 0
    for array in (weights, fixed):
        array.flags.writeable = False
    return weights, fixed


@cache
def _box_matrices(in_size: int, out_size: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.tensor(m, device=device) for m in pil_box_weights(in_size, out_size))


def pil_box_resize(image: torch.Tensor, size: int) -> torch.Tensor:
    """`PIL.Image.resize((size, size), BOX)` of the square (H, W) planes of a 0–255 batch, as float64.

    uint8 input: Pillow's two fixed-point passes, exact. Float input: the same weights in real arithmetic,
    without Pillow's rounding to 8 bits.
    """
    weights, fixed = _box_matrices(image.shape[-1], size, image.device)
    planes = image.to(torch.float64)
    if image.dtype == torch.uint8:
        return _fixed_point_pass(_fixed_point_pass(planes, fixed).transpose(-1, -2), fixed).transpose(-1, -2)
    return weights @ (planes @ weights.T)


def _fixed_point_pass(planes: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """One Pillow pass along the last dim: ⌊(2²¹ + Σ v·k) / 2²²⌋ clipped to 0..255."""
    sums = planes @ matrix.T + float(1 << (_PRECISION_BITS - 1))
    return torch.floor(sums / float(1 << _PRECISION_BITS)).clamp_(0, 255)
