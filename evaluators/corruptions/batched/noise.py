"""Noise corruptions on a batch (numpy path: `evaluators.corruptions.noise`)."""

from __future__ import annotations

import torch

from evaluators.corruptions.batched.pixels import channels_first, clip_to_255, divide, hwc, unit
from evaluators.corruptions.batched.registry import BatchContext, batched


@batched("gaussian_noise")
def gaussian_noise(image: torch.Tensor, sigma: float, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    x += channels_first(ctx.draws.normal(hwc(image), scale=sigma))
    return clip_to_255(x)


@batched("shot_noise")
def shot_noise(image: torch.Tensor, photons: float, ctx: BatchContext) -> torch.Tensor:
    rates = (unit(image) * photons).permute(0, 2, 3, 1)  # drawn in the numpy path's H×W×C order
    counts = channels_first(ctx.draws.poisson(rates))
    return clip_to_255(divide(counts, photons))


@batched("impulse_noise")
def impulse_noise(image: torch.Tensor, amount: float, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    flipped = channels_first(ctx.draws.random(hwc(image)) <= amount)
    salted = channels_first(ctx.draws.random(hwc(image)) <= 0.5)
    x.masked_fill_(flipped & salted, 1.0)
    x.masked_fill_(flipped & ~salted, 0.0)
    return x.mul_(255)


@batched("speckle_noise")
def speckle_noise(image: torch.Tensor, sigma: float, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    noise = channels_first(ctx.draws.normal(hwc(image), scale=sigma))
    noise = noise * x
    noise += x  # x + x·noise
    return clip_to_255(noise)
