"""Blur corruptions on a batch (numpy path: `evaluators.corruptions.blur`)."""

from __future__ import annotations

from functools import cache

import torch

from evaluators.corruptions.batched.filters import correlate2d_reflect101, gaussian_filter
from evaluators.corruptions.batched.motion import motion_blur as magick_motion_blur
from evaluators.corruptions.batched.pixels import clip_to_255, unit
from evaluators.corruptions.batched.registry import BatchContext, batched
from evaluators.corruptions.batched.resample import clipped_zoom
from evaluators.corruptions.batched.shuffle import local_shuffle
from evaluators.corruptions.blur import DefocusParams, GlassParams, MotionParams
from evaluators.imageops.disk import disk_kernel
from evaluators.imageops.local_shuffle import visit_order


@cache
def _disk(radius: int, alias_blur: float, device: torch.device) -> torch.Tensor:
    return torch.tensor(disk_kernel(radius, alias_blur), dtype=torch.float64, device=device)


@batched("defocus_blur")
def defocus_blur(image: torch.Tensor, p: DefocusParams, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    return clip_to_255(correlate2d_reflect101(x, _disk(p.radius, p.alias_blur, x.device)))


@batched("glass_blur")
def glass_blur(image: torch.Tensor, p: GlassParams, ctx: BatchContext) -> torch.Tensor:
    x = gaussian_filter(unit(image), p.sigma)
    x = (x * 255).to(torch.uint8)  # the reference's uint8 step: truncated
    visits = visit_order(x.shape[2], x.shape[3], p.max_delta).size
    shifts = ctx.draws.integers(-p.max_delta, p.max_delta, (p.iterations, visits, 2))
    x = local_shuffle(x, p.max_delta, shifts)
    return clip_to_255(gaussian_filter(unit(x), p.sigma))


@batched("motion_blur")
def motion_blur(image: torch.Tensor, p: MotionParams, ctx: BatchContext) -> torch.Tensor:
    return magick_motion_blur(image, p.radius, p.sigma, ctx.draws.uniform(-45, 45))


@batched("zoom_blur")
def zoom_blur(image: torch.Tensor, zooms: tuple[float, ...], ctx: BatchContext) -> torch.Tensor:
    x = unit(image).float()
    total = torch.zeros_like(x)
    for zoom in zooms:
        total += clipped_zoom(x, zoom).float()
    total += x  # float32 throughout, as the reference: (x + Σ zooms) / (n + 1)
    total /= len(zooms) + 1
    return clip_to_255(total)


@batched("gaussian_blur")
def gaussian_blur(image: torch.Tensor, sigma: float, ctx: BatchContext) -> torch.Tensor:
    return clip_to_255(gaussian_filter(unit(image), sigma))
