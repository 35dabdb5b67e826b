"""Noise corruptions: gaussian, shot, impulse and speckle noise (spec imagenet_cp.md §1.3)."""

from __future__ import annotations

import numpy as np

from evaluators.corruptions.clip import clip_to_255
from evaluators.corruptions.registry import Context, register
from evaluators.corruptions.rng import IntSeedStream


@register("gaussian_noise", params=(0.08, 0.12, 0.18, 0.26, 0.38))
def gaussian_noise(image: np.ndarray, sigma: float, ctx: Context) -> np.ndarray:
    x = image / 255.0
    x += ctx.rng.normal(size=x.shape, scale=sigma)
    return clip_to_255(x)


@register("shot_noise", params=(60, 25, 12, 5, 3))
def shot_noise(image: np.ndarray, photons: float, ctx: Context) -> np.ndarray:
    x = image / 255.0
    return clip_to_255(ctx.rng.poisson(x * photons) / photons)


@register("impulse_noise", params=(0.03, 0.06, 0.09, 0.17, 0.27), int_seed=IntSeedStream.PCG64)
def impulse_noise(image: np.ndarray, amount: float, ctx: Context) -> np.ndarray:
    """skimage `random_noise(mode='s&p', amount)`: each value flips with probability `amount`, to salt (1)
    or pepper (0) with probability 1/2; two uniform fields in that order."""
    x = image / 255.0
    flipped = ctx.rng.random(x.shape) <= amount
    salted = ctx.rng.random(x.shape) <= 0.5
    x[flipped & salted] = 1.0
    x[flipped & ~salted] = 0.0
    x *= 255
    return x


@register("speckle_noise", params=(0.15, 0.20, 0.35, 0.45, 0.60))
def speckle_noise(image: np.ndarray, sigma: float, ctx: Context) -> np.ndarray:
    x = image / 255.0
    noise = ctx.rng.normal(size=x.shape, scale=sigma)
    noise *= x
    noise += x  # x + x·noise
    return clip_to_255(noise)
