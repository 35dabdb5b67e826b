"""Digital corruptions: contrast, elastic transform, pixelate, JPEG, and saturate (spec imagenet_cp.md
§1.3)."""

from __future__ import annotations

from io import BytesIO
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import map_coordinates

from evaluators.corruptions.clip import clip_to_255
from evaluators.corruptions.registry import Context, register
from evaluators.imageops.gaussian import gaussian_filter, kernel_radius, reflect_gaussian_matrix
from evaluators.imageops.hsv import hsv_to_rgb, rgb_to_hsv


class ElasticParams(NamedTuple):
    alpha: float  # displacement scale
    sigma: float  # smoothing of the displacement field
    affine: float  # jitter of the affine control points


class SaturateParams(NamedTuple):
    scale: float
    offset: float


@register("contrast", deterministic=True, params=(0.4, 0.3, 0.2, 0.1, 0.05))
def contrast(image: np.ndarray, c: float, ctx: Context) -> np.ndarray:
    x = image / 255.0
    means = np.mean(x, axis=(0, 1), keepdims=True)
    x -= means
    x *= c
    x += means  # (x − means)·c + means
    return clip_to_255(x)


# "244 should have been 224, but ultimately nothing is incorrect" (reference comment): kept.
@register("elastic_transform", params=[ElasticParams(*c) for c in (
    (244 * 2, 244 * 0.7, 244 * 0.1),
    (244 * 2, 244 * 0.08, 244 * 0.2),
    (244 * 0.05, 244 * 0.01, 244 * 0.02),
    (244 * 0.07, 244 * 0.01, 244 * 0.02),
    (244 * 0.12, 244 * 0.01, 244 * 0.02),
)])
def elastic_transform(image: np.ndarray, p: ElasticParams, ctx: Context) -> np.ndarray:
    x = image.astype(np.float32) / 255
    size = x.shape[:2]
    # Random affine: the three control points centre ± size//3, jittered by U(−affine, affine) in float32.
    centre = np.float32(size) // 2
    square = min(size) // 3
    before = np.float32([centre + square, [centre[0] + square, centre[1] - square], centre - square])
    after = before + ctx.rng.uniform(-p.affine, p.affine, size=before.shape).astype(np.float32)
    matrix = cv2.getAffineTransform(before, after)
    x = cv2.warpAffine(x, matrix, size[::-1], borderMode=cv2.BORDER_REFLECT_101)
    dx = (_smooth(ctx.rng.uniform(-1, 1, size=size), p.sigma) * p.alpha).astype(np.float32)
    dy = (_smooth(ctx.rng.uniform(-1, 1, size=size), p.sigma) * p.alpha).astype(np.float32)
    rows, cols = np.meshgrid(np.arange(size[0]), np.arange(size[1]), indexing="ij")
    coords = np.stack(((rows + dy).ravel(), (cols + dx).ravel()))
    # Channel by channel: the channel coordinate of the reference's 3-D lookup is an integer, whose zero-weight
    # neighbour adds exactly 0, so the values are the same.
    channels = [map_coordinates(x[..., c], coords, order=1, mode="reflect") for c in range(x.shape[2])]
    return clip_to_255(np.stack(channels, axis=-1).reshape(x.shape))


def _smooth(field: np.ndarray, sigma: float) -> np.ndarray:
    """skimage `gaussian(field, sigma, mode='reflect', truncate=3)` of a square field (may overwrite it). Kernels
    wider than a quarter of the side (σ = 170.8 and 19.52 at severities 1–2; 1025 and 119 taps) go through two
    products with the folded kernel matrix: same result to rounding, which the float32 cast that follows
    absorbs (identical on every conformance output and on random fields)."""
    if 2 * kernel_radius(sigma, 3.0) + 1 > field.shape[0] // 4:
        matrix = reflect_gaussian_matrix(field.shape[0], sigma, 3.0)
        return matrix @ field @ matrix.T
    return gaussian_filter(field, sigma, mode="reflect", truncate=3.0, channel_axis=None, in_place=True)


@register("pixelate", deterministic=True, params=(0.6, 0.5, 0.4, 0.3, 0.25))
def pixelate(image: np.ndarray, c: float, ctx: Context) -> np.ndarray:
    height, width = image.shape[:2]
    small = Image.fromarray(image).resize((int(width * c), int(height * c)), Image.Resampling.BOX)
    return np.asarray(small.resize((width, height), Image.Resampling.BOX))


@register("jpeg_compression", deterministic=True, params=(25, 18, 15, 10, 7))
def jpeg_compression(image: np.ndarray, quality: int, ctx: Context) -> np.ndarray:
    buffer = BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=quality)  # Pillow's defaults otherwise (4:2:0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


@register("saturate", deterministic=True,
          params=[SaturateParams(*c) for c in ((0.3, 0), (0.1, 0), (2, 0), (5, 0.1), (20, 0.2))])
def saturate(image: np.ndarray, p: SaturateParams, ctx: Context) -> np.ndarray:
    hsv = rgb_to_hsv(image / 255.0)
    hsv[..., 1] = np.clip(hsv[..., 1] * p.scale + p.offset, 0, 1)
    return clip_to_255(hsv_to_rgb(hsv))
