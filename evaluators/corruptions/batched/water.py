"""spatter's water spots (severities 1–3) on the device: the numpy path's OpenCV chain from the 8-bit liquid
layer to the float32 map that shapes the drops, each step in OpenCV's own integer or float arithmetic:

    Canny(50, 150) → distanceTransform(DIST_L2, 5) → min(·, 20) → blur 3×3 → uint8 → equalizeHist
    → filter2D(emboss, CV_8U) → blur 3×3 → float32

Each function states the OpenCV behaviour it reproduces; all are bit-identical to cv2 (tested).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from evaluators.corruptions.batched.filters import pad

_CANNY_LOW, _CANNY_HIGH = 50, 150
_CANNY_SHIFT = 15
_TG22 = int(0.4142135623730950488016887242097 * (1 << _CANNY_SHIFT) + 0.5)  # tan 22.5° in 17.15 fixed point
# distanceTransform's 5×5 chamfer steps for DIST_L2 (float32), and a distance that stands for "no edge near".
_STRAIGHT, _DIAGONAL, _KNIGHT = 1.0, 1.4, 2.1969
_FAR = 1e30
_TRUNCATE = 20.0
_EMBOSS = ((-2, -1, 0), (-1, 1, 1), (0, 1, 2))


def canny(image: torch.Tensor) -> torch.Tensor:
    """cv2.Canny(image, 50, 150) of (B, H, W) uint8 → bool edges: 3×3 Sobel (BORDER_REPLICATE), |dx| + |dy|,
    non-maximum suppression in 4 sectors by OpenCV's fixed-point tangents (magnitudes outside the image are 0),
    then 8-connected hysteresis from the pixels above the high threshold."""
    p = pad(image.to(torch.int32), 1, "nearest")
    dx = (p[:, :-2, 2:] - p[:, :-2, :-2]) + 2 * (p[:, 1:-1, 2:] - p[:, 1:-1, :-2]) + (p[:, 2:, 2:] - p[:, 2:, :-2])
    dy = (p[:, 2:, :-2] - p[:, :-2, :-2]) + 2 * (p[:, 2:, 1:-1] - p[:, :-2, 1:-1]) + (p[:, 2:, 2:] - p[:, :-2, 2:])
    centre = dx.abs() + dy.abs()
    m = F.pad(centre, (1, 1, 1, 1))  # the magnitudes with zeros around, as OpenCV's buffer
    x = dx.abs()
    y = dy.abs() << _CANNY_SHIFT
    tg22x = x * _TG22
    horizontal = y < tg22x
    vertical = ~horizontal & (y > tg22x + (x << (_CANNY_SHIFT + 1)))
    same_sign = (dx ^ dy) >= 0  # OpenCV's s = 1: the diagonal from top-left to bottom-right
    peak_h = (centre > m[:, 1:-1, :-2]) & (centre >= m[:, 1:-1, 2:])
    peak_v = (centre > m[:, :-2, 1:-1]) & (centre >= m[:, 2:, 1:-1])
    peak_d = torch.where(same_sign, (centre > m[:, :-2, :-2]) & (centre > m[:, 2:, 2:]),
                         (centre > m[:, :-2, 2:]) & (centre > m[:, 2:, :-2]))
    peak = torch.where(horizontal, peak_h, torch.where(vertical, peak_v, peak_d))
    candidate = (centre > _CANNY_LOW) & peak
    edges = candidate & (centre > _CANNY_HIGH)
    while True:  # hysteresis: grow into candidates by 8-neighbourhood until nothing changes
        grown = candidate & (F.max_pool2d(edges[:, None].float(), 3, stride=1, padding=1)[:, 0] > 0)
        if torch.equal(grown, edges):
            return edges
        edges = grown


def _mask_terms(near: torch.Tensor, far: torch.Tensor, width: int) -> torch.Tensor:
    """The chamfer mask's terms from the adjacent row `near` and the next one `far` (both padded by 2
    columns, float32): the minimum of neighbour + step over the 7 mask cells in those rows."""
    terms = (far[:, 1 : width + 1] + _KNIGHT, far[:, 3 : width + 3] + _KNIGHT,
             near[:, 0:width] + _KNIGHT, near[:, 1 : width + 1] + _DIAGONAL, near[:, 2 : width + 2] + _STRAIGHT,
             near[:, 3 : width + 3] + _DIAGONAL, near[:, 4 : width + 4] + _KNIGHT)
    out = terms[0]
    for term in terms[1:]:
        out = torch.minimum(out, term)
    return out


def _running_min(reach: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """t[j] = min(reach[j], t[j−1] + 1) along the row, as min_k (reach[k] + j − k) summed exactly in float64
    and rounded once to float32 (rounding is monotone, so this is the minimum of the rounded sums)."""
    return (torch.cummin(reach.double() - steps, dim=1).values + steps).float()


def distance_to_edges(edges: torch.Tensor) -> torch.Tensor:
    """min(cv2.distanceTransform(255 − edges, DIST_L2, 5), 20) of (B, H, W) bool edges → float32.

    OpenCV hands this to Intel IPP, which runs the two raster passes of the 5×5 chamfer mask (steps 1, 1.4f,
    2.1969f) in float32. Here the passes go row by row; within a row the dependence on the left (right)
    neighbour is a running minimum (`_running_min`). That takes one rounding of x + n where IPP adds 1 n
    times: the same float32 for every distance below 20 a chamfer walk produces (checked exhaustively on
    the values of real spatter layers), and values from 20 up are truncated to 20.
    """
    batch, height, width = edges.shape
    device = edges.device
    table = torch.full((batch, height + 4, width + 4), _FAR, dtype=torch.float32, device=device)
    steps = torch.arange(width, device=device, dtype=torch.float64)
    for row in range(height):  # forward pass: the two rows above and the left neighbour
        r = row + 2
        reach = _mask_terms(table[:, r - 1], table[:, r - 2], width).masked_fill(edges[:, row], 0)
        table[:, r, 2 : width + 2] = _running_min(reach, steps)
    for row in range(height - 1, -1, -1):  # backward pass: the two rows below and the right neighbour
        r = row + 2
        below = _mask_terms(table[:, r + 1].flip(1), table[:, r + 2].flip(1), width)
        reach = torch.minimum(table[:, r, 2 : width + 2].flip(1), below)
        table[:, r, 2 : width + 2] = _running_min(reach, steps).flip(1)
    return table[:, 2 : height + 2, 2 : width + 2].clamp(max=_TRUNCATE)


def _box3_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum of each 3×3 neighbourhood, BORDER_REFLECT_101 (exact: integers, or float64 of float32 values)."""
    p = pad(x, 1, "mirror")
    height, width = x.shape[-2:]
    return sum(p[..., i : i + height, j : j + width] for i in range(3) for j in range(3))


def equalize_hist(image: torch.Tensor) -> torch.Tensor:
    """cv2.equalizeHist of (B, H, W) uint8: lut[v] = round(float32(#{pixels in (v_min, v]}) · (255 / (N −
    #{v_min}))) in float32 with ties to even, lut[v_min] = 0; a constant image keeps its value."""
    batch = image.shape[0]
    flat = image.reshape(batch, -1).long()
    total = flat.shape[1]
    hist = torch.zeros(batch, 256, dtype=torch.int64, device=image.device).scatter_add_(1, flat, torch.ones_like(flat))
    lowest = flat.amin(dim=1, keepdim=True)
    below = hist.gather(1, lowest)
    scale = torch.tensor(255.0, dtype=torch.float32, device=image.device) / (total - below).float()
    counts = (hist.cumsum(1) - hist.cumsum(1).gather(1, lowest)).clamp_(min=0)
    lut = torch.round(counts.float() * scale).clamp_(0, 255)
    lut = torch.where(below == total, lowest.float(), lut)
    return lut.gather(1, flat).reshape(image.shape).to(torch.uint8)


def water_spots(liquid: torch.Tensor) -> torch.Tensor:
    """(B, H, W) uint8 liquid layers → (B, H, W) float32, the numpy path's chain (module docstring)."""
    distance = distance_to_edges(canny(liquid))
    # blur on float32: double sums times 1/9, rounded to float32; then the uint8 cast truncates.
    blurred = (_box3_sum(distance.double()) * (1.0 / 9)).float().to(torch.uint8)
    levels = equalize_hist(blurred).to(torch.int32)
    kernel = torch.tensor(_EMBOSS, dtype=torch.int32, device=liquid.device)
    p = pad(levels, 1, "mirror")
    height, width = levels.shape[-2:]
    embossed = sum(kernel[i, j] * p[..., i : i + height, j : j + width] for i in range(3) for j in range(3))
    embossed = embossed.clamp_(0, 255)
    # blur on uint8: OpenCV divides the 9-sum by fixed-point multiplication, (s + 4)·7282 >> 16.
    return ((_box3_sum(embossed) + 4) * 7282 >> 16).float()
