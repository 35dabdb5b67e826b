"""glass_blur's local pixel shuffle on a batch: `imageops.local_shuffle`'s chain resolution (pointer
jumping over each pixel's chain of sources), vectorised over the images, with the same visiting order."""

from __future__ import annotations

from functools import cache

import torch

from evaluators.imageops.local_shuffle import visit_order


@cache
def _layout(height: int, width: int, delta: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    visited = torch.tensor(visit_order(height, width, delta), device=device)
    in_region = torch.zeros(height * width, dtype=torch.bool, device=device)
    in_region[visited] = True
    return visited, in_region


def shuffle_sources(height: int, width: int, delta: int, shifts: torch.Tensor) -> torch.Tensor:
    """`imageops.local_shuffle.shuffle_sources` for a batch: shifts (B, n, 2) int64 (dx, dy) in visiting
    order → (B, H·W) flat source index of each pixel."""
    visited, in_region = _layout(height, width, delta, shifts.device)
    batch = shifts.shape[0]
    src = visited + shifts[..., 1] * width + shifts[..., 0]
    follows = in_region[src] & (src > visited)  # visited earlier: read its final value
    identity = torch.arange(height * width, device=shifts.device).expand(batch, -1)
    link = identity.clone()
    link[:, visited] = torch.where(follows, src, visited)
    origin = identity.clone()
    origin[:, visited] = src
    while True:
        jumped = link.gather(1, link)
        if torch.equal(jumped, link):
            break
        link = jumped
    return origin.gather(1, link)


def local_shuffle(image: torch.Tensor, delta: int, shifts: torch.Tensor) -> torch.Tensor:
    """The reference's shuffle loop on (B, C, H, W) for every pass; shifts (B, passes, n, 2)."""
    batch, channels, height, width = image.shape
    sources = torch.arange(height * width, device=image.device).expand(batch, -1)
    for one_pass in shifts.unbind(1):  # compose the passes, then move the pixels once
        sources = sources.gather(1, shuffle_sources(height, width, delta, one_pass))
    pixels = image.reshape(batch, channels, height * width)
    return pixels.gather(2, sources.unsqueeze(1).expand(-1, channels, -1)).reshape(image.shape)
