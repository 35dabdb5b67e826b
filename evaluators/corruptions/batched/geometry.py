"""elastic_transform's two resamplings on a batch: OpenCV's `warpAffine` (bilinear, BORDER_REFLECT_101)
and SciPy's `map_coordinates` (order 1, mode 'reflect'), each in its library's arithmetic.

OpenCV ≥ 4.11 (5.0 here) warps 32-bit float images with float32 coordinates: the 2×3 matrix is inverted in
double and rounded to float; the source point of (x, y) is fma(M₀, x, M₁·y + M₂) (likewise for y, the row
term rounded twice), and the pixel f₀₀ + α(f₀₁ − f₀₀), then the same between the two rows, each step a
float32 fma; taps outside the image are reflected (… c b | a b c …). Bit-identical to cv2 5.0.0 on x86-64 (tested).

SciPy (1.17, measured against it) moves coordinates outside the image by its 'reflect' rule, then
interpolates between ⌊c⌋ and ⌊c⌋ + 1 with weights (1 − f, 1 − (1 − f)), taps past the edge reflected; the four
products (v·w_row)·w_col are summed in row-major tap order in double and stored as float32.
"""

from __future__ import annotations

import torch

from evaluators.corruptions.batched.filters import border_index
from evaluators.corruptions.batched.fma import fma32
from evaluators.corruptions.batched.pixels import divide


def _gather(planes: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """planes (B, C, H, W) at integer (rows, cols) (B, H', W') → (B, C, H', W')."""
    batch, channels, width = planes.shape[0], planes.shape[1], planes.shape[3]
    index = (rows * width + cols).reshape(batch, 1, -1).expand(-1, channels, -1)
    return planes.reshape(batch, channels, -1).gather(2, index).reshape(batch, channels, *rows.shape[1:])


def warp_affine_reflect101(image: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """`cv2.warpAffine(image, M, (W, H), borderMode=BORDER_REFLECT_101)` of a float32 (B, C, H, W) batch, one
    forward 2×3 float64 matrix per image (B, 2, 3)."""
    m = matrices.to(torch.float64).reshape(-1, 6).unbind(1)
    # OpenCV inverts the forward map in double (imgwarp.cpp), then hands float32 coefficients to the kernel.
    det = m[0] * m[4] - m[1] * m[3]
    det = torch.where(det != 0, 1.0 / det, torch.zeros_like(det))
    a0, a1, a3, a4 = m[4] * det, m[1] * -det, m[3] * -det, m[0] * det
    a2 = -a0 * m[2] - a1 * m[5]
    a5 = -a3 * m[2] - a4 * m[5]
    inverse = [a.float()[:, None, None] for a in (a0, a1, a2, a3, a4, a5)]
    height, width = image.shape[2:]
    ys = torch.arange(height, device=image.device, dtype=torch.float32)[None, :, None]
    xs = torch.arange(width, device=image.device, dtype=torch.float32)[None, None, :]
    src_x = fma32(inverse[0], xs, inverse[1] * ys + inverse[2])
    src_y = fma32(inverse[3], xs, inverse[4] * ys + inverse[5])
    ix, iy = torch.floor(src_x), torch.floor(src_y)
    alpha, beta = (src_x - ix)[:, None], (src_y - iy)[:, None]
    ix, iy = ix.long(), iy.long()
    x0, x1 = border_index(ix, width, "mirror"), border_index(ix + 1, width, "mirror")
    y0, y1 = border_index(iy, height, "mirror"), border_index(iy + 1, height, "mirror")
    p00, p01 = _gather(image, y0, x0), _gather(image, y0, x1)
    p10, p11 = _gather(image, y1, x0), _gather(image, y1, x1)
    top = fma32(alpha, p01 - p00, p00)
    bottom = fma32(alpha, p11 - p10, p10)
    return fma32(beta, bottom - top, top)


def _scipy_reflect(coordinate: torch.Tensor, length: int) -> torch.Tensor:
    """Where SciPy's 'reflect' mode moves a coordinate before interpolating (float64): below −1 it is
    mirrored about −½ (c → −c − 1); at or beyond the far edge it is folded back (c → 2n − c − 1); between −1
    and n it stays, the taps past the edge being reflected instead."""
    period = 2 * length
    moved = torch.where(coordinate < -1, -coordinate - 1, coordinate)
    moved = torch.where(moved >= length, moved - period * torch.trunc(divide(moved, period)), moved)
    return torch.where(moved >= length, period - moved - 1, moved)


def _scipy_taps(coordinate: torch.Tensor, length: int) -> tuple[torch.Tensor, ...]:
    """(index₀, index₁, weight₀, weight₁) of SciPy's order-1 spline along one axis (`get_spline_interpolation
    _weights`: the last weight is one minus the others)."""
    moved = _scipy_reflect(coordinate, length)
    start = torch.floor(moved)
    weight0 = 1.0 - (moved - start)
    weight1 = 1.0 - weight0
    start = start.long()
    return border_index(start, length, "reflect"), border_index(start + 1, length, "reflect"), weight0, weight1


def map_coordinates_reflect(image: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    """`scipy.ndimage.map_coordinates(plane, (rows, cols), order=1, mode='reflect')` of every channel of a
    float32 (B, C, H, W) batch at float64 (B, H, W) coordinates; float32 out."""
    height, width = image.shape[2:]
    r0, r1, wr0, wr1 = _scipy_taps(rows, height)
    c0, c1, wc0, wc1 = _scipy_taps(cols, width)
    wr0, wr1, wc0, wc1 = (w[:, None] for w in (wr0, wr1, wc0, wc1))  # broadcast over channels
    planes = image.to(torch.float64)
    total = _gather(planes, r0, c0) * wr0 * wc0
    total += _gather(planes, r0, c1) * wr0 * wc1
    total += _gather(planes, r1, c0) * wr1 * wc0
    total += _gather(planes, r1, c1) * wr1 * wc1
    return total.float()
