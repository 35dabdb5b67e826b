"""Blur perturbations: motion_blur, zoom_blur and gaussian_blur (spec imagenet_cp.md §3); all deterministic."""

from __future__ import annotations

import numpy as np

from evaluators.imageops.gaussian import gaussian_filter
from evaluators.imageops.motion_blur import motion_blur as magick_motion_blur
from evaluators.perturbations.affine import Affine, affine_frames, inverse_matrix
from evaluators.perturbations.crop import center_crop
from evaluators.perturbations.registry import Draws, register


@register("motion_blur", deterministic=True)
def motion_blur(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """ImageMagick motion blur (radius 10, σ 3) of the crop at 4·(i − 30)° for frame i: −120° … 0°."""
    crop = center_crop(image)
    return np.stack([magick_motion_blur(crop, 10, 3, (i - 30) * 4) for i in range(31)])


@register("zoom_blur", deterministic=True)
def zoom_blur(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Frame i: the running mean of the crops of affine(scale = 1 + 0.004·k), k = 0..i (k = 0 is the plain crop),
    in torchvision's float32 ToTensor space: each crop v/255, summed in order, (sum / (i + 1))·255 truncated."""
    height, width = image.shape[:2]
    zoomed = affine_frames(image, [inverse_matrix(Affine(scale=1 + 0.004 * k), width, height) for k in range(1, 31)])
    total = center_crop(image).astype(np.float32) / np.float32(255)
    frames = np.empty((31, *total.shape), dtype=np.uint8)
    frames[0] = center_crop(image)
    for i, crop in enumerate(zoomed, start=1):
        total += crop.astype(np.float32) / np.float32(255)
        mean = total / np.float32(i + 1)
        mean *= np.float32(255)
        frames[i] = mean
    return frames


@register("gaussian_blur", deterministic=True)
def gaussian_blur(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """scikit-image gaussian (per channel, mode 'nearest', truncate 6) with σ = 0.25 + 0.035·i, ×255 truncated."""
    x = center_crop(image) / 255.0
    frames = np.empty((31, *x.shape), dtype=np.uint8)
    for i, frame in enumerate(frames):
        blurred = gaussian_filter(x, 0.25 + 0.035 * i, truncate=6.0)
        blurred *= 255
        frame[...] = blurred
    return frames
