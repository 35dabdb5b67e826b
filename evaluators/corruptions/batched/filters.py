"""Linear filters over the two trailing (H, W) dims of a batch, in the numpy path's arithmetic.

The numpy path's outputs are truncated to uint8, so on flat regions a last-bit difference in a blur turns a
whole area one level darker. The Gaussian here therefore follows SciPy's `correlate1d` operation for
operation (symmetric kernels: w₀·x₀, then (x₋ⱼ + xⱼ)·wⱼ added from the outermost tap inwards, axis 0 then
axis 1, rounding to the array's dtype after each axis), which makes it bit-identical on any device.
"""

from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F

from evaluators.imageops.gaussian import gaussian_kernel1d


def border_index(index: torch.Tensor, length: int, mode: str) -> torch.Tensor:
    """Integer indices mapped into 0..length−1 by a border mode, named as SciPy names them: 'nearest'
    (a a | a b c d | d d, OpenCV BORDER_REPLICATE), 'reflect' (b a | a b c d | d c, BORDER_REFLECT), 'mirror'
    (c b | a b c d | c b, BORDER_REFLECT_101, OpenCV's default)."""
    if mode == "nearest":
        return index.clamp(0, length - 1)
    if mode == "reflect":
        period = 2 * length
        index = index.remainder(period)
        return torch.where(index >= length, period - 1 - index, index)
    if mode == "mirror":
        period = 2 * length - 2
        index = index.remainder(period)
        return torch.where(index >= length, period - index, index)
    raise ValueError(f"unsupported border mode {mode!r}")


@cache
def padded_index(length: int, radius: int, mode: str, device: torch.device) -> torch.Tensor:
    """Source index of each position of an axis padded by `radius` on both sides (see `border_index`)."""
    return border_index(torch.arange(-radius, length + radius, device=device), length, mode)


def pad(x: torch.Tensor, radius: int, mode: str) -> torch.Tensor:
    """x (any dtype) padded by `radius` on both sides of its two trailing dims (see `padded_index`)."""
    height, width = x.shape[-2:]
    rows = x.index_select(x.ndim - 2, padded_index(height, radius, mode, x.device))
    return rows.index_select(x.ndim - 1, padded_index(width, radius, mode, x.device))


def _correlate_symmetric(x: torch.Tensor, weights: tuple[float, ...], dim: int, mode: str) -> torch.Tensor:
    """SciPy's `correlate1d` of a symmetric kernel along `dim`, in its summation order, in x's dtype."""
    radius = len(weights) // 2
    length = x.shape[dim]
    padded = x.index_select(dim, padded_index(length, radius, mode, x.device))
    out = padded.narrow(dim, radius, length) * weights[radius]
    pair = torch.empty_like(out)
    for offset in range(radius, 0, -1):
        torch.add(padded.narrow(dim, radius - offset, length), padded.narrow(dim, radius + offset, length), out=pair)
        pair *= weights[radius - offset]
        out += pair
    return out


def gaussian_filter(x: torch.Tensor, sigma: float, *, mode: str = "nearest", truncate: float = 4.0) -> torch.Tensor:
    """`imageops.gaussian.gaussian_filter` (scikit-image's `gaussian`, no blur across channels) of the (H, W)
    planes of `x`, bit for bit: float64 sums, and a float32 `x` rounded to float32 after each axis as SciPy
    stores it."""
    weights = tuple(gaussian_kernel1d(float(sigma), truncate).tolist())
    out = x
    for dim in (x.ndim - 2, x.ndim - 1):
        out = _correlate_symmetric(out.to(torch.float64), weights, dim, mode).to(x.dtype)
    return out


def correlate2d_reflect101(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """OpenCV `filter2D` (correlation, default border REFLECT_101) of every (H, W) plane of a float64
    (B, C, H, W) batch with one odd-sized 2-D kernel, through float64 FFTs.

    Not SciPy's or OpenCV's summation order (OpenCV itself switches to a DFT for kernels this large): the
    values agree to ~1e-15, which moves no uint8 truncation unless a value lies that close to a step. Flat
    areas, the one systematic such case, sit on a step only for a kernel that sums to exactly 1, which
    defocus_blur's float32-normalised disks never do.
    """
    radius_y, radius_x = kernel.shape[0] // 2, kernel.shape[1] // 2
    height, width = x.shape[2:]
    padded = F.pad(x, (radius_x, radius_x, radius_y, radius_y), mode="reflect")
    size = padded.shape[2:]
    spectrum = torch.fft.rfft2(padded) * torch.fft.rfft2(kernel.to(x), s=size).conj()
    return torch.fft.irfft2(spectrum, s=size)[..., :height, :width]
