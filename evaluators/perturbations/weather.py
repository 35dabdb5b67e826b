"""Weather-like perturbations: snow, brightness and spatter (spec imagenet_cp.md §3). Snow and spatter draw
one random layer per sequence (the ImageNet-C pieces, `evaluators.corruptions.weather`) and then move it
deterministically; brightness is deterministic."""

from __future__ import annotations

import numpy as np

from evaluators.corruptions.weather import liquid_layer, snow_layer, snow_scene, snowfall, water
from evaluators.imageops.hsv import hsv_to_rgb, rgb_to_hsv
from evaluators.perturbations.crop import center_crop
from evaluators.perturbations.registry import Draws, register

# spatter's liquid runs down: after each frame every column is convolved with this ('same').
_DRIP = np.array([0.05, 0.1, 0.15, 0.7])


@register("snow")
def snow(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """One N(0.05, 0.3) snow layer (zoom 3, threshold 0.5) per sequence, blurred (radius 14, σ 4) at 4i − 150°
    for frame i over the crop whitened with blend 0.85 — in float64 here, float32 in ImageNet-C."""
    x = center_crop(image) / 255.0
    layer = snow_layer(draws, x.shape[:2], 0.05, 0.3, 3, 0.5)
    scene = snow_scene(x, 0.85)
    return np.stack([snowfall(scene, layer, 14, 4, i * 4 - 150).astype(np.uint8) for i in range(31)])


@register("brightness", deterministic=True)
def brightness(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """HSV value shifted by c = (i − 15)·2/100 (−0.30 … +0.30), clipped to [0, 1], back to RGB, ×255 truncated."""
    hsv = rgb_to_hsv(center_crop(image) / 255.0)
    value = hsv[..., 2].copy()
    frames = np.empty((31, *hsv.shape), dtype=np.uint8)
    for i, frame in enumerate(frames):
        np.clip(value + (i - 15) * 2 / 100.0, 0, 1, out=hsv[..., 2])
        rgb = hsv_to_rgb(hsv)
        rgb *= 255
        frame[...] = rgb
    return frames


@register("spatter")
def spatter(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Water spatter from one liquid layer (N(0.65, 0.27), σ 3.7, threshold 0.69, intensity 0.6) that drips
    down by `_DRIP` after each frame."""
    x = center_crop(image).astype(np.float32) / 255
    liquid = liquid_layer(draws, x.shape[:2], 0.65, 0.27, 3.7, 0.69)
    frames = np.empty((31, *x.shape), dtype=np.uint8)
    for frame in frames:
        frame[...] = water(x, liquid, 0.6)
        liquid = np.apply_along_axis(np.convolve, 0, liquid, _DRIP, mode="same")
    return frames
