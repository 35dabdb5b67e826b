"""The reference's `clipped_zoom`: crop the centre 1/z of a square image and scale it back up with
`scipy.ndimage.zoom(order=1)`, then trim the centre (spec imagenet_cp.md §1.3, zoom_blur and snow).

SciPy's order-1 zoom is separable linear interpolation, so it is precomputed here as two taps per output
row/column (`clipped_zoom_taps`) and evaluated with gathers, in SciPy's own arithmetic, which makes the
result bit-identical to `scipy.ndimage.zoom` (tested) at a fraction of its cost:

* output size round(crop·z); output index k samples input coordinate k·(crop − 1)/(out − 1)
  (`grid_mode=False`); taps ⌊x⌋ and ⌊x⌋ + 1 with weights 1 − f and 1 − (1 − f), f = x − ⌊x⌋
  (`get_spline_interpolation_weights`: the last weight is one minus the others);
* each output value is Σ (input · w_row) · w_col over the 2×2 taps in row-major order, in float64, then
  cast to the input dtype (float32 in zoom_blur).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class ZoomTaps:
    """Linear-interpolation taps of `clipped_zoom` along one axis, one entry per output position.

    `lo`/`hi` index the *uncropped* input axis (the centre crop's offset is folded in); `hi` is clamped
    at the crop's last sample, where its weight is 0.
    """

    lo: np.ndarray
    hi: np.ndarray
    w_lo: np.ndarray
    w_hi: np.ndarray


@cache
def clipped_zoom_taps(size: int, zoom: float) -> ZoomTaps:
    """Taps of the reference `clipped_zoom` of a size×size image by `zoom` (> 1)."""
    crop = math.ceil(size / zoom)  # int(np.ceil(h / zoom_factor)) in the reference
    top = (size - crop) // 2
    zoomed = round(crop * zoom)  # scipy's output shape
    trim = (zoomed - size) // 2
    step = (crop - 1) / (zoomed - 1)
    coords = np.arange(trim, trim + size, dtype=np.float64) * step
    floor = np.floor(coords)
    w_lo = 1.0 - (coords - floor)
    lo = floor.astype(np.intp)
    taps = ZoomTaps(
        lo=lo + top,
        hi=np.minimum(lo + 1, crop - 1) + top,
        w_lo=w_lo,
        w_hi=1.0 - w_lo,
    )
    for array in (taps.lo, taps.hi, taps.w_lo, taps.w_hi):
        array.flags.writeable = False
    return taps


def clipped_zoom(image: np.ndarray, zoom: float) -> np.ndarray:
    """`clipped_zoom(image, zoom)` of the reference for a square float H×W or H×W×C image; same dtype."""
    zoomer = _Zoomer(image)
    return zoomer.zoom(float(zoom)).astype(image.dtype).reshape(image.shape)


def clipped_zoom_sum(image: np.ndarray, zooms: Iterable[float]) -> np.ndarray:
    """Σ_z clipped_zoom(image, z) accumulated in the image's dtype, in order, as zoom_blur does it
    (float32 in the reference: each zoom is cast to float32 before it is added)."""
    zoomer = _Zoomer(image)
    total = np.zeros(zoomer.flat.shape, dtype=image.dtype)
    cast = np.empty_like(total)
    for zoom in zooms:
        np.copyto(cast, zoomer.zoom(float(zoom)), casting="same_kind")
        total += cast
    return total.reshape(image.shape)


class _Zoomer:
    """Evaluates zooms of one image into reused float64 buffers: fresh large arrays cost page faults that
    would dominate the arithmetic."""

    def __init__(self, image: np.ndarray) -> None:
        if image.ndim not in (2, 3) or image.shape[0] != image.shape[1] or image.dtype.kind != "f":
            raise ValueError(f"clipped_zoom expects a square float image, got {image.dtype} {image.shape}")
        self.size = image.shape[0]
        self.channels = image.shape[2] if image.ndim == 3 else 1
        # Rows first on an (H, W·C) view: row taps are contiguous row copies, column taps flat indices.
        self.flat = image.reshape(self.size, self.size * self.channels).astype(np.float64)
        self.row_lo = np.empty_like(self.flat)
        self.row_hi = np.empty_like(self.flat)
        self.term = np.empty_like(self.flat)
        self.out = np.empty_like(self.flat)

    def zoom(self, zoom: float) -> np.ndarray:
        """The zoomed image as float64 (H, W·C), in SciPy's operation order; valid until the next call."""
        taps = clipped_zoom_taps(self.size, zoom)
        col_lo, col_hi, w_lo, w_hi = _column_taps(self.size, zoom, self.channels)
        np.take(self.flat, taps.lo, axis=0, out=self.row_lo, mode="clip")
        self.row_lo *= taps.w_lo[:, None]
        np.take(self.flat, taps.hi, axis=0, out=self.row_hi, mode="clip")
        self.row_hi *= taps.w_hi[:, None]
        out, term = self.out, self.term
        np.take(self.row_lo, col_lo, axis=1, out=out, mode="clip")
        out *= w_lo
        for rows, cols, weights in ((self.row_lo, col_hi, w_hi), (self.row_hi, col_lo, w_lo),
                                    (self.row_hi, col_hi, w_hi)):
            np.take(rows, cols, axis=1, out=term, mode="clip")
            term *= weights
            out += term
        return out


@cache
def _column_taps(size: int, zoom: float, channels: int) -> tuple[np.ndarray, ...]:
    """The taps of one axis expanded to flat (column, channel) indices of an (H, W·C) view."""
    taps = clipped_zoom_taps(size, zoom)
    lanes = np.arange(channels)
    return (
        (taps.lo[:, None] * channels + lanes).ravel(),
        (taps.hi[:, None] * channels + lanes).ravel(),
        np.repeat(taps.w_lo, channels),
        np.repeat(taps.w_hi, channels),
    )
