"""Weather-like corruptions on a batch: snow, fog, brightness, spatter (numpy path:
`evaluators.corruptions.weather`)."""

from __future__ import annotations

from functools import cache

import torch

from evaluators.corruptions.batched.color import hsv_to_rgb, rgb_to_hsv
from evaluators.corruptions.batched.filters import gaussian_filter
from evaluators.corruptions.batched.fma import fma32
from evaluators.corruptions.batched.motion import motion_blur
from evaluators.corruptions.batched.pixels import clip_to_255, unit
from evaluators.corruptions.batched.plasma import plasma_fractal
from evaluators.corruptions.batched.registry import BatchContext, batched
from evaluators.corruptions.batched.resample import clipped_zoom
from evaluators.corruptions.batched.water import water_spots
from evaluators.corruptions.weather import _MUD, _WATER, FogParams, SnowParams, SpatterParams


def _grey(x: torch.Tensor) -> torch.Tensor:
    """cv2.cvtColor(float32 RGB, COLOR_RGB2GRAY) as OpenCV 5 computes it: fma(B, .114f, fma(R, .299f, G·.587f))
    in float32 (bit-identical, tested); (B, 1, H, W)."""
    red, green, blue = x.unbind(1)
    weight_r, weight_g, weight_b = torch.tensor((0.299, 0.587, 0.114), dtype=torch.float32, device=x.device)
    return fma32(blue, weight_b, fma32(red, weight_r, green * weight_g))[:, None]


@batched("snow")
def snow(image: torch.Tensor, p: SnowParams, ctx: BatchContext) -> torch.Tensor:
    x = unit(image, torch.float32)
    height, width = x.shape[2:]
    layer = clipped_zoom(ctx.draws.normal((height, width), loc=p.mean, scale=p.std), p.zoom)
    layer = layer.masked_fill(layer < p.threshold, 0)
    # The reference hands the layer to ImageMagick as an 8-bit grey PNG: quantised (truncated) first.
    layer = (layer.clamp(0, 1) * 255).to(torch.uint8)[:, None]
    flakes = unit(motion_blur(layer, p.blur_radius, p.blur_sigma, ctx.draws.uniform(-135, -45)))
    x = p.blend * x + (1 - p.blend) * torch.maximum(x, _grey(x) * 1.5 + 0.5)
    out = x + flakes
    out += flakes.flip(2, 3)  # rot90(k=2)
    return clip_to_255(out)


@batched("fog")
def fog(image: torch.Tensor, p: FogParams, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    max_val = x.amax(dim=(1, 2, 3), keepdim=True)
    height, width = x.shape[2:]
    x += p.strength * plasma_fractal(ctx.draws, wibbledecay=p.wibble_decay)[:, None, :height, :width]
    x *= max_val
    x /= max_val + p.strength
    return clip_to_255(x)


@batched("brightness")
def brightness(image: torch.Tensor, shift: float, ctx: BatchContext) -> torch.Tensor:
    hsv = rgb_to_hsv(unit(image))
    hsv[:, 2] = torch.clamp(hsv[:, 2] + shift, 0, 1)
    return clip_to_255(hsv_to_rgb(hsv))


@cache
def _colour(name: str, device: torch.device) -> torch.Tensor:
    return torch.tensor({"water": _WATER, "mud": _MUD}[name], device=device)[None, :, None, None]


@batched("spatter", cpu_chunk=16)  # the distance transform loops over rows
def spatter(image: torch.Tensor, p: SpatterParams, ctx: BatchContext) -> torch.Tensor:
    x = unit(image, torch.float32)
    height, width = x.shape[2:]
    liquid = gaussian_filter(ctx.draws.normal((height, width), loc=p.mean, scale=p.std), p.sigma)
    liquid = liquid.masked_fill(liquid < p.threshold, 0)
    if p.mud:
        mask = gaussian_filter((liquid > p.threshold).float(), p.intensity)
        mask = mask.masked_fill(mask < 0.8, 0)[:, None]
        x *= 1 - mask
        x += _colour("mud", x.device) * mask
        return clip_to_255(x)
    liquid = (liquid * 255).to(torch.uint8)
    wet = liquid * water_spots(liquid)  # float32
    wet /= wet.amax(dim=(1, 2), keepdim=True)
    wet *= p.intensity
    x += wet[:, None] * _colour("water", x.device)
    return clip_to_255(x)
