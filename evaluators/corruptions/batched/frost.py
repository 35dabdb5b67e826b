"""frost on a batch: a random crop of one of the reference's frost photos blended in (numpy path:
`evaluators.corruptions.frost`, which also finds the textures)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import torch

from evaluators.corruptions.batched.registry import BatchContext, batched
from evaluators.corruptions.frost import FROST_FILES, FrostParams, frost_textures, resolve_frost_dir


@cache
def _textures(folder: Path, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The five textures zero-padded into one (5, H_max, W_max, 3) uint8 tensor, and their (5, 2) sizes."""
    textures = frost_textures(folder)
    height = max(t.shape[0] for t in textures)
    width = max(t.shape[1] for t in textures)
    stacked = torch.zeros(len(textures), height, width, 3, dtype=torch.uint8)
    for index, texture in enumerate(textures):
        stacked[index, : texture.shape[0], : texture.shape[1]] = torch.from_numpy(texture.copy())
    sizes = torch.tensor([t.shape[:2] for t in textures])
    return stacked.to(device), sizes.to(device)


@batched("frost")
def frost(image: torch.Tensor, p: FrostParams, ctx: BatchContext) -> torch.Tensor:
    stacked, sizes = _textures(resolve_frost_dir(ctx.frost_dir), image.device)
    height, width = image.shape[2:]
    index = ctx.draws.integers(0, len(FROST_FILES))
    top = ctx.draws.integers_below(sizes[index, 0] - height)
    left = ctx.draws.integers_below(sizes[index, 1] - width)
    rows = top[:, None, None] + torch.arange(height, device=image.device)[None, :, None]
    cols = left[:, None, None] + torch.arange(width, device=image.device)[None, None, :]
    crop = stacked[index[:, None, None], rows, cols].permute(0, 3, 1, 2)
    blend = p.image_weight * image.double() + p.frost_weight * crop.double()
    return blend.clamp_(0, 255)
