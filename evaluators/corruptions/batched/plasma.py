"""fog's diamond-square haze on a batch: `imageops.plasma.plasma_fractal` step for step (same draws, shapes
and order, float64), one map per image."""

from __future__ import annotations

import torch

from evaluators.corruptions.batched.draws import Draws


def plasma_fractal(draws: Draws, mapsize: int = 256, wibbledecay: float = 3.0) -> torch.Tensor:
    """(B, mapsize, mapsize) float64 height maps scaled to [0, 1] per image."""
    heights = torch.zeros(draws.batch, mapsize, mapsize, dtype=torch.float64, device=draws.device)
    step, wibble = mapsize, 100.0

    def wibbled_mean(total: torch.Tensor) -> torch.Tensor:
        return total / 4 + wibble * draws.uniform(-wibble, wibble, tuple(total.shape[1:]))

    while step >= 2:
        half = step // 2
        corners = heights[:, 0:mapsize:step, 0:mapsize:step]
        square = corners + torch.roll(corners, shifts=-1, dims=1)
        square += torch.roll(square, shifts=-1, dims=2)
        heights[:, half:mapsize:step, half:mapsize:step] = wibbled_mean(square)
        centres = heights[:, half:mapsize:step, half:mapsize:step]
        corners = heights[:, 0:mapsize:step, 0:mapsize:step]
        along_rows = (centres + torch.roll(centres, 1, dims=1)) + (corners + torch.roll(corners, -1, dims=2))
        heights[:, 0:mapsize:step, half:mapsize:step] = wibbled_mean(along_rows)
        along_cols = (centres + torch.roll(centres, 1, dims=2)) + (corners + torch.roll(corners, -1, dims=1))
        heights[:, half:mapsize:step, 0:mapsize:step] = wibbled_mean(along_cols)
        step //= 2
        wibble /= wibbledecay
    heights -= heights.amin(dim=(1, 2), keepdim=True)
    return heights / heights.amax(dim=(1, 2), keepdim=True)
