"""ImageMagick's motion blur on a batch, one angle per image (motion_blur, snow).

The taps are `imageops.motion_blur.motion_blur_kernel`'s, computed per image on the CPU (ImageMagick's
rounding of the tap offsets goes through the C library, as there); the sum runs on the device in the numpy
path's order and arithmetic (16-bit quanta, double sums in tap order, ClampToQuantum, the PNG writer's
truncation to 8 bits), so an 8-bit image gives the numpy path's bytes.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from evaluators.imageops.motion_blur import motion_blur_kernel

_QUANTUM_PER_CHAR = 257
_QUANTUM_RANGE = 65535


def motion_blur(image: torch.Tensor, radius: float, sigma: float, angles: torch.Tensor) -> torch.Tensor:
    """Blur (B, C, H, W) by angles[b] (degrees) per image. uint8 in: uint8 out, as the reference's PNG round
    trip. Float (0–255) in: the same weighted sum in float64, not quantised."""
    kernels = [motion_blur_kernel(radius, sigma, angle) for angle in angles.tolist()]
    weights = kernels[0][0].tolist()
    offsets = np.stack([offsets for _, offsets in kernels])  # (B, taps, 2) as (row, col)
    batch, channels, height, width = image.shape
    pad = int(np.abs(offsets).max())
    quantised = image.dtype == torch.uint8
    values = image.to(torch.float64) * _QUANTUM_PER_CHAR if quantised else image.to(torch.float64)
    padded = F.pad(values, (pad, pad, pad, pad), mode="replicate").reshape(batch, channels, -1)
    padded_width = width + 2 * pad
    rows = torch.arange(pad, pad + height, device=image.device)
    cols = torch.arange(pad, pad + width, device=image.device)
    base = (rows[:, None] * padded_width + cols[None, :]).reshape(1, -1)
    shifts = torch.tensor(offsets[..., 0] * padded_width + offsets[..., 1], device=image.device)
    total = torch.zeros(batch, channels, height * width, dtype=torch.float64, device=image.device)
    for tap, weight in enumerate(weights):
        index = (base + shifts[:, tap, None]).unsqueeze(1).expand(batch, channels, -1)
        total += padded.gather(2, index) * weight
    total = total.reshape(batch, channels, height, width)
    if not quantised:
        return total
    # ClampToQuantum (the cast truncates s + 0.5), then SetImageDepth(8)'s truncating rescale.
    quantum = (total + 0.5).clamp_(0, _QUANTUM_RANGE).to(torch.int64)
    return torch.div(quantum, _QUANTUM_PER_CHAR, rounding_mode="floor").to(torch.uint8)
