"""Blur corruptions: defocus, glass, motion, zoom and gaussian blur (spec imagenet_cp.md §1.3)."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from evaluators.corruptions.clip import clip_to_255
from evaluators.corruptions.registry import Context, register
from evaluators.corruptions.rng import randint
from evaluators.imageops.disk import disk_kernel
from evaluators.imageops.gaussian import gaussian_filter
from evaluators.imageops.local_shuffle import local_shuffle, visit_order
from evaluators.imageops.motion_blur import motion_blur as magick_motion_blur
from evaluators.imageops.zoom import clipped_zoom_sum


class DefocusParams(NamedTuple):
    radius: int
    alias_blur: float


class GlassParams(NamedTuple):
    sigma: float
    max_delta: int
    iterations: int


class MotionParams(NamedTuple):
    radius: float
    sigma: float


@register("defocus_blur", deterministic=True,
          params=[DefocusParams(*c) for c in ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))])
def defocus_blur(image: np.ndarray, p: DefocusParams, ctx: Context) -> np.ndarray:
    x = image / 255.0
    kernel = disk_kernel(p.radius, p.alias_blur)
    # The reference filters channel by channel (float64, default border reflect-101); OpenCV's 3-channel call
    # gives the same values in one pass.
    return clip_to_255(cv2.filter2D(x, -1, kernel))


@register("glass_blur",
          params=[GlassParams(*c) for c in ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))])
def glass_blur(image: np.ndarray, p: GlassParams, ctx: Context) -> np.ndarray:
    x = gaussian_filter(image / 255.0, p.sigma, in_place=True)
    x *= 255
    x = x.astype(np.uint8)
    # One randint call for every (dx, dy) of every pass: the legacy stream is the same as the reference's
    # one randint(size=2) per visited pixel. The "swap" copies (local_shuffle explains).
    visits = visit_order(*x.shape[:2], p.max_delta).size
    shifts = randint(ctx.rng, -p.max_delta, p.max_delta, size=(p.iterations, visits, 2))
    x = local_shuffle(x, p.max_delta, shifts)
    return clip_to_255(gaussian_filter(x / 255.0, p.sigma, in_place=True))


@register("motion_blur",
          params=[MotionParams(*c) for c in ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))])
def motion_blur(image: np.ndarray, p: MotionParams, ctx: Context) -> np.ndarray:
    return magick_motion_blur(image, p.radius, p.sigma, ctx.rng.uniform(-45, 45))


# np.arange with float steps overshoots: 12, 16, 11, 13, 11 factors, 1.11 included at severity 1 (§8.8).
ZOOM_FACTORS: tuple[tuple[float, ...], ...] = tuple(
    tuple(float(z) for z in np.arange(1, stop, step))
    for stop, step in ((1.11, 0.01), (1.16, 0.01), (1.21, 0.02), (1.26, 0.02), (1.31, 0.03))
)


@register("zoom_blur", deterministic=True, params=ZOOM_FACTORS)
def zoom_blur(image: np.ndarray, zooms: tuple[float, ...], ctx: Context) -> np.ndarray:
    x = (image / 255.0).astype(np.float32)
    total = clipped_zoom_sum(x, zooms)
    total += x  # float32 throughout, as the reference: (x + Σ zooms) / (n + 1)
    total /= len(zooms) + 1
    return clip_to_255(total)


@register("gaussian_blur", deterministic=True, params=(1, 2, 3, 4, 6))
def gaussian_blur(image: np.ndarray, sigma: float, ctx: Context) -> np.ndarray:
    return clip_to_255(gaussian_filter(image / 255.0, sigma, in_place=True))
