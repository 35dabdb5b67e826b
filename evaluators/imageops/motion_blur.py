"""ImageMagick 6 `MotionBlurImage` (Q16, non-HDRI), re-implemented: the blur behind ImageNet-C motion_blur
and snow and ImageNet-P motion_blur and snow (spec imagenet_cp.md §1.3).

The reference writes an 8-bit PNG, lets ImageMagick blur it and decodes the 8-bit PNG it writes back. Facts
taken from ImageMagick 6.9.11 (`magick/effect.c` MotionBlurImageChannel, `magick/gem.c`
GetOptimalKernelWidth1D, `magick/quantum.h`), the version that made the conformance data:

* width = 2·ceil(radius) + 1 taps (GetOptimalKernelWidth1D with radius > 0);
* one-sided weights k_i = exp(−i²/(2σ²)) / (√(2π)·σ), i = 0..width−1, each divided by their running sum;
* tap offsets (row, col) = (ceil(i·w·sinθ/h − 0.5), ceil(i·w·cosθ/h − 0.5)) with w = width and
  h = hypot(w·sinθ, w·cosθ), θ = π·angle/180: the blur trails along the angle, from the pixel onwards;
* pixels outside the image read as the nearest edge pixel (the default "edge" virtual-pixel method);
* 8-bit values are read as 16-bit quanta (v·257), summed k_0·q_0 + k_1·q_1 + … in double precision in tap
  order and rounded to a quantum with ClampToQuantum (⌊s + 0.5⌋ clamped to 0..65535);
* the PNG writer first reduces the image to its 8-bit depth with SetImageDepth (`coders/png.c`, palette
  step), whose ScaleQuantumToAny *truncates*: v = ⌊255·q/65535⌋ = q // 257 (not the rounding
  ScaleQuantumToChar). Verified on the golden PNGs: rounding would miss by 1 on half of all values.

Scalar maths goes through `math`/`numpy` scalars, which call the C library as ImageMagick does, so the tap
offsets round alike even where i·cosθ is a half in exact arithmetic: ImageNet-P's motion_blur frames (angles
−120°…0° in steps of 4°, −90° and −60° among them) are reproduced bit for bit too.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

# magick/image-private.h
_MAGICK_SQ2PI = 2.50662827463100024161235523934010416269302368164062
_QUANTUM_PER_CHAR = 257  # ScaleCharToQuantum in Q16
_QUANTUM_RANGE = 65535


def kernel_width(radius: float) -> int:
    """Number of taps ImageMagick uses for a radius > 0 (GetOptimalKernelWidth1D)."""
    if not radius > 0:
        raise ValueError(f"motion blur radius must be > 0, got {radius}")
    return int(2.0 * math.ceil(radius) + 1.0)


@cache
def motion_blur_weights(radius: float, sigma: float) -> np.ndarray:
    """The normalised one-sided Gaussian weights, float64, in tap order (read-only)."""
    width = kernel_width(radius)
    raw = [math.exp(-(float(i) * i) / (2.0 * sigma * sigma)) / (_MAGICK_SQ2PI * sigma) for i in range(width)]
    total = 0.0
    for value in raw:  # sequential sum, as the C loop
        total += value
    weights = np.array([value / total for value in raw])
    weights.flags.writeable = False
    return weights


def motion_blur_offsets(width: int, angle: float) -> np.ndarray:
    """Integer (row, col) displacement of every tap, shape (width, 2), int64. Not cached: angles are
    random in ImageNet-C, a cache would only grow."""
    theta = math.pi * angle / 180.0
    point_x = float(width) * math.sin(theta)
    point_y = float(width) * math.cos(theta)
    norm = float(np.hypot(point_x, point_y))  # C hypot (math.hypot is CPython's own algorithm)
    return np.array(
        [(math.ceil(i * point_x / norm - 0.5), math.ceil(i * point_y / norm - 0.5)) for i in range(width)],
        dtype=np.int64,
    )


def motion_blur_kernel(radius: float, sigma: float, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """(weights (width,), offsets (width, 2) as (row, col)) of MotionBlurImage(radius, sigma, angle).

    output[r, c] = Σ_i weights[i] · input[clamp(r + offsets[i, 0]), clamp(c + offsets[i, 1])]
    """
    weights = motion_blur_weights(float(radius), float(sigma))
    return weights, motion_blur_offsets(len(weights), float(angle))


def motion_blur(image: np.ndarray, radius: float, sigma: float, angle: float) -> np.ndarray:
    """ImageMagick's motion blur of an 8-bit image (H×W or H×W×C uint8), as the reference's PNG round trip
    returns it: uint8 of the same shape."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"motion_blur expects an H×W or H×W×C uint8 image, got {image.dtype} {image.shape}")
    weights, offsets = motion_blur_kernel(radius, sigma, angle)
    height, width = image.shape[:2]
    pad = int(np.abs(offsets).max())
    quanta = image.astype(np.float64) * _QUANTUM_PER_CHAR
    spatial_pad = ((pad, pad), (pad, pad)) + ((0, 0),) * (image.ndim - 2)
    padded = np.pad(quanta, spatial_pad, mode="edge")
    total = np.zeros_like(quanta)
    term = np.empty_like(quanta)
    for weight, (dy, dx) in zip(weights, offsets, strict=True):
        np.multiply(padded[pad + dy : pad + dy + height, pad + dx : pad + dx + width], weight, out=term)
        total += term
    # ClampToQuantum (the cast truncates s + 0.5), then SetImageDepth(8)'s truncating rescale.
    quantum = np.clip(total + 0.5, 0, _QUANTUM_RANGE).astype(np.int64)
    return (quantum // _QUANTUM_PER_CHAR).astype(np.uint8)
