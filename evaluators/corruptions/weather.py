"""Weather-like corruptions: snow, fog, brightness and spatter (spec imagenet_cp.md §1.3); frost has its
own module for its textures."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from evaluators.corruptions.clip import clip_to_255
from evaluators.corruptions.registry import Context, register
from evaluators.corruptions.rng import Rng
from evaluators.imageops.gaussian import gaussian_filter
from evaluators.imageops.hsv import hsv_to_rgb, rgb_to_hsv
from evaluators.imageops.motion_blur import motion_blur
from evaluators.imageops.plasma import plasma_fractal
from evaluators.imageops.zoom import clipped_zoom


class SnowParams(NamedTuple):
    mean: float
    std: float
    zoom: float
    threshold: float
    blur_radius: float
    blur_sigma: float
    blend: float


class FogParams(NamedTuple):
    strength: float
    wibble_decay: float


class SpatterParams(NamedTuple):
    mean: float
    std: float
    sigma: float
    threshold: float
    intensity: float
    mud: bool  # severities 4–5: mud; 1–3: water


def snow_layer(rng: Rng, size: tuple[int, int], mean: float, std: float, zoom: float,
               threshold: float) -> np.ndarray:
    """The snow flakes before they move: N(mean, std) field, clipped_zoom, values under `threshold` zeroed, then
    quantised (truncated) to the 8-bit grey PNG the reference hands to ImageMagick. uint8 H×W."""
    layer = clipped_zoom(rng.normal(size=size, loc=mean, scale=std), zoom)
    layer[layer < threshold] = 0
    return (np.clip(layer, 0, 1) * 255).astype(np.uint8)


def snow_scene(x: np.ndarray, blend: float) -> np.ndarray:
    """The whitened picture under the snow, blend·x + (1 − blend)·max(x, 1.5·grey + 0.5), in x's precision;
    grey is OpenCV's RGB2GRAY of x in float32 (the reference converts for OpenCV)."""
    grey = cv2.cvtColor(x.astype(np.float32, copy=False), cv2.COLOR_RGB2GRAY)[..., None]
    return blend * x + (1 - blend) * np.maximum(x, grey * 1.5 + 0.5)


def snowfall(scene: np.ndarray, layer: np.ndarray, radius: float, sigma: float, angle: float) -> np.ndarray:
    """The flakes blurred along `angle` (ImageMagick), added to the scene with their 180° rotation; float in
    [0, 255]."""
    flakes = (motion_blur(layer, radius, sigma, angle) / 255.0)[..., None]
    out = scene + flakes
    out += np.rot90(flakes, k=2)
    return clip_to_255(out)


@register("snow", params=[SnowParams(*c) for c in (
    (0.1, 0.3, 3, 0.5, 10, 4, 0.8),
    (0.2, 0.3, 2, 0.5, 12, 4, 0.7),
    (0.55, 0.3, 4, 0.9, 12, 8, 0.7),
    (0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
    (0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
)])
def snow(image: np.ndarray, p: SnowParams, ctx: Context) -> np.ndarray:
    x = image.astype(np.float32) / 255
    layer = snow_layer(ctx.rng, x.shape[:2], p.mean, p.std, p.zoom, p.threshold)  # draws before the angle
    angle = ctx.rng.uniform(-135, -45)
    return snowfall(snow_scene(x, p.blend), layer, p.blur_radius, p.blur_sigma, angle)


@register("fog", params=[FogParams(*c) for c in ((1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4))])
def fog(image: np.ndarray, p: FogParams, ctx: Context) -> np.ndarray:
    x = image / 255.0
    max_val = x.max()
    height, width = x.shape[:2]
    x += p.strength * plasma_fractal(ctx.rng, wibbledecay=p.wibble_decay)[:height, :width][..., None]
    x *= max_val
    x /= max_val + p.strength
    return clip_to_255(x)


@register("brightness", deterministic=True, params=(0.1, 0.2, 0.3, 0.4, 0.5))
def brightness(image: np.ndarray, shift: float, ctx: Context) -> np.ndarray:
    hsv = rgb_to_hsv(image / 255.0)
    hsv[..., 2] = np.clip(hsv[..., 2] + shift, 0, 1)
    return clip_to_255(hsv_to_rgb(hsv))


# float32 colour planes, as the reference builds them. Its BGR/BGRA conversions around the water only add and
# drop an alpha channel: the colour is added in the array's own (RGB) order, pale turquoise.
_WATER = (np.array([175, 238, 238]) / 255.0).astype(np.float32)
_MUD = (np.array([63, 42, 20]) / 255.0).astype(np.float32)


def liquid_layer(rng: Rng, size: tuple[int, int], mean: float, std: float, sigma: float,
                 threshold: float) -> np.ndarray:
    """spatter's liquid: N(mean, std) field blurred with σ = `sigma` (scikit-image's defaults), values under
    `threshold` zeroed; float64 H×W."""
    liquid = gaussian_filter(rng.normal(size=size, loc=mean, scale=std), sigma, channel_axis=None, in_place=True)
    liquid[liquid < threshold] = 0
    return liquid


def water(x: np.ndarray, liquid: np.ndarray, intensity: float) -> np.ndarray:
    """Water drops of the liquid layer on the float32 picture x in [0, 1] (spatter's water mode); float32 in
    [0, 255], x unchanged."""
    liquid = (liquid * 255).astype(np.uint8)
    dist = cv2.distanceTransform(255 - cv2.Canny(liquid, 50, 150), cv2.DIST_L2, 5)
    _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
    dist = cv2.equalizeHist(cv2.blur(dist, (3, 3)).astype(np.uint8))
    dist = cv2.filter2D(dist, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]))
    dist = cv2.blur(dist, (3, 3)).astype(np.float32)
    wet = liquid * dist  # float32
    wet /= wet.max()
    wet *= intensity
    return clip_to_255(x + wet[..., None] * _WATER)


@register("spatter", params=[SpatterParams(*c) for c in (
    (0.65, 0.3, 4, 0.69, 0.6, False),
    (0.65, 0.3, 3, 0.68, 0.6, False),
    (0.65, 0.3, 2, 0.68, 0.5, False),
    (0.65, 0.3, 1, 0.65, 1.5, True),
    (0.67, 0.4, 1, 0.65, 1.5, True),
)])
def spatter(image: np.ndarray, p: SpatterParams, ctx: Context) -> np.ndarray:
    x = image.astype(np.float32) / 255
    liquid = liquid_layer(ctx.rng, x.shape[:2], p.mean, p.std, p.sigma, p.threshold)
    if not p.mud:
        return water(x, liquid, p.intensity)
    mask = gaussian_filter((liquid > p.threshold).astype(np.float32), p.intensity, channel_axis=None, in_place=True)
    mask[mask < 0.8] = 0
    mask = mask[..., None]
    x *= 1 - mask
    x += _MUD * mask
    return clip_to_255(x)
