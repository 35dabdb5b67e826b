"""The affine transform that made the released ImageNet-P (torchvision 0.2.1's `affine` on Pillow), in double
precision, for zoom_blur, translate, rotate, scale and shear (conformance README "Geometric perturbations:
release geometry"; spec imagenet_cp.md §3).

What differs from today's torchvision: the centre is (W/2 + 0.5, H/2 + 0.5), and the inverse matrix is
(1/s)/d · [[cos(a+q), sin(a+q)], [−sin a, cos a]] with d = cos(a+q)·cos a + sin(a+q)·sin a, so a shear also
compresses the picture vertically by cos q. Sampling is Pillow's: the inverse matrix maps an output pixel
centre (j + 0.5, i + 0.5) to an input point, (m0·x + m1·y) + m2 and (m3·x + m4·y) + m5 in that order;
bilinear at pixel centres with clamped taps, each channel in double, truncated to uint8; black where the
point falls outside the image; nearest takes the pixel the point falls in.

The frames are the centred 224 crop of the transformed image, so only the crop's pixels are computed, with
the same per-pixel arithmetic as the full transform.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from evaluators.perturbations.crop import CROP, crop_origin


class Affine(NamedTuple):
    """One `affine(img, angle, translate, scale, shear)` call of the reference (degrees, pixels)."""

    angle: float = 0.0
    translate: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    shear: float = 0.0


def inverse_matrix(call: Affine, width: int, height: int) -> tuple[float, ...]:
    """(m0, …, m5): output point → input point, computed in torchvision 0.2.1's order of operations (the
    values are bit-identical to its `_get_inverse_affine_matrix`, which exact frames depend on)."""
    centre_x, centre_y = width * 0.5 + 0.5, height * 0.5 + 0.5
    angle, shear = math.radians(call.angle), math.radians(call.shear)
    d = math.cos(angle + shear) * math.cos(angle) + math.sin(angle + shear) * math.sin(angle)
    f = (1.0 / call.scale) / d
    m0, m1 = f * math.cos(angle + shear), f * math.sin(angle + shear)
    m3, m4 = f * -math.sin(angle), f * math.cos(angle)
    ux, uy = -centre_x - call.translate[0], -centre_y - call.translate[1]
    return m0, m1, (m0 * ux + m1 * uy) + centre_x, m3, m4, (m3 * ux + m4 * uy) + centre_y


class Taps(NamedTuple):
    """Bilinear taps of one axis (or of every pixel): clamped indices, weight of the second tap, and where
    the sampled point lies inside the image."""

    lo: np.ndarray
    hi: np.ndarray
    frac: np.ndarray
    inside: np.ndarray


def taps(coord: np.ndarray, size: int) -> Taps:
    """Pillow's bilinear taps for input coordinates `coord` (float64) on an axis of `size` pixels."""
    inside = (coord >= 0.0) & (coord < size)
    shifted = coord - 0.5
    floor = np.floor(shifted)
    index = floor.astype(np.intp)
    return Taps(np.clip(index, 0, size - 1), np.clip(index + 1, 0, size - 1), shifted - floor, inside)


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """a + (b − a)·t in double (Pillow's BILINEAR macro), computed in `b`'s buffer, which is returned."""
    b -= a
    b *= t
    b += a
    return b


def crop_centres(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Centres x = j + 0.5 of the crop's output columns and y = i + 0.5 of its rows."""
    left, top = crop_origin(width, height)
    return np.arange(left, left + CROP) + 0.5, np.arange(top, top + CROP) + 0.5


def affine_frames(image: np.ndarray, matrices: list[tuple[float, ...]]) -> np.ndarray:
    """Bilinear affines (Pillow, one inverse matrix per frame) of a uint8 H×W×C image, each cropped to the
    centre 224×224: uint8 T×224×224×C."""
    height, width, channels = image.shape
    # Channel planes: the per-pixel weights then broadcast over the outer axis, which NumPy does fast.
    planes = np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float64)
    flat = planes.reshape(channels, height * width)
    x, y = crop_centres(width, height)
    out = np.empty((len(matrices), CROP, CROP, channels), dtype=np.uint8)
    for frame, (m0, m1, m2, m3, m4, m5) in zip(out, matrices, strict=True):
        if m1 == 0.0 and m3 == 0.0:
            # Axis-aligned (scale, zoom): X depends on the column only and Y on the row only, with the very
            # same values as the general formula (adding ±0·y is exact), so every image row is interpolated
            # at the crop's columns once, then the rows are interpolated.
            cols, rows = taps(m0 * x + m2, width), taps(m4 * y + m5, height)
            across = _lerp(np.take(planes, cols.lo, axis=2), np.take(planes, cols.hi, axis=2), cols.frac)
            value = _lerp(np.take(across, rows.lo, axis=1), np.take(across, rows.hi, axis=1),
                          rows.frac[:, None])
            outside = ~(rows.inside[:, None] & cols.inside[None, :])
        else:
            cols = taps((m0 * x[None, :] + m1 * y[:, None]) + m2, width)
            rows = taps((m3 * x[None, :] + m4 * y[:, None]) + m5, height)
            row_lo, row_hi = rows.lo * width, rows.hi * width
            top = _lerp(np.take(flat, row_lo + cols.lo, axis=1), np.take(flat, row_lo + cols.hi, axis=1), cols.frac)
            bottom = _lerp(np.take(flat, row_hi + cols.lo, axis=1), np.take(flat, row_hi + cols.hi, axis=1),
                           cols.frac)
            value = _lerp(top, bottom, rows.frac)
            outside = ~(rows.inside & cols.inside)
        if outside.any():
            value[:, outside] = 0.0
        frame[...] = value.transpose(1, 2, 0)  # truncation toward zero, as Pillow's (UINT8) cast
    return out


def translate_crop(image: np.ndarray, shift: int) -> np.ndarray:
    """Nearest-neighbour horizontal translation by an integer `shift` (the picture moves right), centre crop:
    output column j shows input column j − shift, black outside the image."""
    height, width = image.shape[:2]
    left, top = crop_origin(width, height)
    source = np.arange(left, left + CROP) - shift
    inside = (source >= 0) & (source < width)
    out = np.zeros((CROP, CROP, image.shape[2]), dtype=np.uint8)
    out[:, inside] = image[top : top + CROP, source[inside]]
    return out
