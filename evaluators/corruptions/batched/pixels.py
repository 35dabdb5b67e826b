"""How a batch's pixels enter and leave a batched corruption.

Inside, an image batch is B×3×H×W on the 0–255 scale, as the numpy path's uint8 array: either uint8 itself
or, for float input, float64 values x·255. Each corruption divides by 255 in the numpy path's dtype, so a
uint8 batch goes through the numpy path's exact arithmetic; each returns values on the 0–255 scale.
"""

from __future__ import annotations

import torch


def divide(x: torch.Tensor, divisor: float) -> torch.Tensor:
    """x / divisor rounded as IEEE division, as numpy divides, on every device. CUDA divides by a Python number
    (a CPU scalar) as a multiplication by its reciprocal, one rounding more: v/255·255 then truncates to
    v − 1 where numpy gives v. A divisor on the device takes the true division kernel."""
    return x / torch.tensor(divisor, dtype=x.dtype, device=x.device)


def unit(image: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The numpy path's `x / 255` in `dtype` (float64 unless its code says float32)."""
    return divide(image.to(dtype), 255)


def clip_to_255(x: torch.Tensor) -> torch.Tensor:
    """The numpy path's closing np.clip(x, 0, 1) · 255, in place, in x's dtype."""
    return x.clamp_(0, 1).mul_(255)


def to_uint8(image: torch.Tensor) -> torch.Tensor:
    """8-bit pixels for a step that only exists in 8 bits (a codec): float input is rounded."""
    if image.dtype == torch.uint8:
        return image
    return image.round().clamp(0, 255).to(torch.uint8)


def channels_first(field: torch.Tensor) -> torch.Tensor:
    """A (B, H, W, C) field drawn in the numpy path's layout, as (B, C, H, W)."""
    return field.permute(0, 3, 1, 2)


def hwc(image: torch.Tensor) -> tuple[int, int, int]:
    """The numpy path's per-image shape (H, W, C) of a (B, C, H, W) batch: the shape its fields are drawn in."""
    return (image.shape[2], image.shape[3], image.shape[1])
