"""Noise perturbations (spec imagenet_cp.md §3): frame 0 is the clean 224 crop, frames 1–30 independent noisy
copies of it, one σ or λ per difficulty (folders `<name>`, `<name>_2`, `<name>_3`).

An int seed replays the reference's streams (np.random.seed for shot and speckle noise, whose frames are the
ImageNet-C corruptions with ImageNet-P's constants; torch.manual_seed and `randn_like` on the CPU for
gaussian_noise); a NumPy Generator samples the same distributions from per-value tables (`value_noise`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from evaluators.corruptions import noise as corruption_noise
from evaluators.corruptions.registry import Context
from evaluators.perturbations.crop import center_crop
from evaluators.perturbations.registry import Draws, register
from evaluators.perturbations.value_noise import AliasTable, gaussian_table, sample, shot_table, speckle_table

NOISY_FRAMES = 30


def _with_clean(crop: np.ndarray, noisy: np.ndarray) -> np.ndarray:
    return np.concatenate((crop[None], noisy))


def _noisy(crop: np.ndarray, draws: Draws, table: AliasTable,
           corruption: Callable[[np.ndarray, float, Context], np.ndarray], constant: float) -> np.ndarray:
    """The 30 noisy frames: the reference's per-frame corruption on its legacy stream, else the table."""
    if isinstance(draws, np.random.RandomState):
        context = Context(rng=draws)
        return np.stack([corruption(crop, constant, context).astype(np.uint8) for _ in range(NOISY_FRAMES)])
    return sample(table, crop, NOISY_FRAMES, draws)


@register("gaussian_noise", params=(0.03, 0.05, 0.08), torch_seed=True)
def gaussian_noise(image: np.ndarray, sigma: float, draws: Draws) -> np.ndarray:
    crop = center_crop(image)
    if not isinstance(draws, torch.Generator):
        return _with_clean(crop, sample(gaussian_table(sigma), crop, NOISY_FRAMES, draws))
    # The reference: x = ToTensor(crop) (float32, C×H×W); each frame ToPILImage(clamp(x + σ·randn_like(x), 0, 1)),
    # i.e. ×255 and truncated. One randn call for all frames draws the same stream (CPU normals are made
    # from 16-value blocks of uniforms, and a frame holds a multiple of 16 values).
    x = torch.tensor(crop).permute(2, 0, 1).to(torch.float32).div(255)
    noise = torch.randn((NOISY_FRAMES, *x.shape), generator=draws)
    frames = noise.mul_(sigma).add_(x).clamp_(0, 1).mul_(255).to(torch.uint8)
    return _with_clean(crop, frames.permute(0, 2, 3, 1).numpy())


@register("shot_noise", params=(300, 120, 60))
def shot_noise(image: np.ndarray, photons: float, draws: Draws) -> np.ndarray:
    crop = center_crop(image)
    return _with_clean(crop, _noisy(crop, draws, shot_table(photons), corruption_noise.shot_noise, photons))


@register("speckle_noise", params=(0.05, 0.10, 0.15))
def speckle_noise(image: np.ndarray, sigma: float, draws: Draws) -> np.ndarray:
    crop = center_crop(image)
    return _with_clean(crop, _noisy(crop, draws, speckle_table(sigma), corruption_noise.speckle_noise, sigma))
