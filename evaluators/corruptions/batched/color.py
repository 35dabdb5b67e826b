"""RGB ↔ HSV on a (B, 3, H, W) float64 batch, the operations of `imageops.hsv` (scikit-image's
rgb2hsv/hsv2rgb) one for one, so bit-identical; brightness and saturate go through it."""

from __future__ import annotations

from functools import cache

import torch

from evaluators.corruptions.batched.pixels import divide
from evaluators.imageops.hsv import SECTOR_SOURCES


def rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    red, green, blue = rgb.unbind(1)
    value = torch.maximum(torch.maximum(red, green), blue)
    delta = value - torch.minimum(torch.minimum(red, green), blue)
    grey = delta == 0.0
    saturation = delta / value
    hue = torch.where(
        blue == value,
        4.0 + (red - green) / delta,
        torch.where(green == value, 2.0 + (blue - red) / delta, (green - blue) / delta),
    )
    hue = torch.remainder(divide(hue, 6.0), 1.0)  # Python's (and numpy's) sign rule
    hue = hue.masked_fill(grey, 0.0)
    saturation = saturation.masked_fill(grey, 0.0)
    return torch.stack((hue, saturation, value), dim=1)


@cache
def _sector_sources(device: torch.device) -> torch.Tensor:
    return torch.tensor(SECTOR_SOURCES, device=device)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    hue, saturation, value = hsv.unbind(1)
    sector = torch.floor(hue * 6)
    f = hue * 6 - sector
    p = value * (1 - saturation)
    q = value * (1 - f * saturation)
    t = value * (1 - (1 - f) * saturation)
    planes = torch.stack((value, p, q, t), dim=1)  # the order SECTOR_SOURCES indexes
    sources = _sector_sources(hsv.device)[sector.to(torch.uint8).long() % 6]  # (B, H, W, 3)
    return planes.gather(1, sources.permute(0, 3, 1, 2))
