"""float32 fused multiply-add, as OpenCV's vectorised kernels compute it (one rounding)."""

from __future__ import annotations

import torch


def fma32(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """float32(a·b + c) rounded once, for float32 operands: a·b is exact in float64 and so is the sum in all
    but contrived cases, whose second rounding (to float32) is then the only one."""
    return (a.double() * b.double() + c.double()).float()
