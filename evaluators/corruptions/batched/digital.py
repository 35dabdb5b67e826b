"""Digital corruptions on a batch (numpy path: `evaluators.corruptions.digital`)."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import torch

from evaluators.corruptions.api import corrupt
from evaluators.corruptions.batched.color import hsv_to_rgb, rgb_to_hsv
from evaluators.corruptions.batched.filters import gaussian_filter
from evaluators.corruptions.batched.geometry import map_coordinates_reflect, warp_affine_reflect101
from evaluators.corruptions.batched.pixels import clip_to_255, to_uint8, unit
from evaluators.corruptions.batched.registry import BatchContext, batched
from evaluators.corruptions.batched.resample import pil_box_resize
from evaluators.corruptions.digital import ElasticParams, SaturateParams
from evaluators.imageops.gaussian import kernel_radius, reflect_gaussian_matrix


@batched("contrast")
def contrast(image: torch.Tensor, c: float, ctx: BatchContext) -> torch.Tensor:
    x = unit(image)
    means = x.mean(dim=(2, 3), keepdim=True)
    x -= means
    x *= c
    x += means  # (x − means)·c + means
    return clip_to_255(x)


@cache
def _reflect_matrix(size: int, sigma: float, device: torch.device) -> torch.Tensor:
    return torch.tensor(reflect_gaussian_matrix(size, sigma, 3.0), device=device)


def _smooth(field: torch.Tensor, sigma: float) -> torch.Tensor:
    """The numpy path's `digital._smooth` (skimage gaussian, mode reflect, truncate 3) of (B, S, S) fields,
    with its choice between the folded kernel matrix for wide kernels and SciPy's filter."""
    if 2 * kernel_radius(sigma, 3.0) + 1 > field.shape[-1] // 4:
        matrix = _reflect_matrix(field.shape[-1], sigma, field.device)
        return matrix @ field @ matrix.T
    return gaussian_filter(field, sigma, mode="reflect", truncate=3.0)


@batched("elastic_transform")
def elastic_transform(image: torch.Tensor, p: ElasticParams, ctx: BatchContext) -> torch.Tensor:
    x = unit(image, torch.float32)
    size = tuple(x.shape[2:])
    # The random affine: three control points centre ± size//3, jittered in float32 (numpy path's constants).
    centre = np.float32(size) // 2
    square = min(size) // 3
    before = np.float32([centre + square, [centre[0] + square, centre[1] - square], centre - square])
    jitter = ctx.draws.uniform(-p.affine, p.affine, before.shape).float().cpu().numpy()
    matrices = np.stack([cv2.getAffineTransform(before, before + shift) for shift in jitter])
    x = warp_affine_reflect101(x, torch.tensor(matrices, device=x.device))
    dx = (_smooth(ctx.draws.uniform(-1, 1, size), p.sigma) * p.alpha).float()
    dy = (_smooth(ctx.draws.uniform(-1, 1, size), p.sigma) * p.alpha).float()
    rows = torch.arange(size[0], device=x.device, dtype=torch.float64)[:, None]
    cols = torch.arange(size[1], device=x.device, dtype=torch.float64)[None, :]
    return clip_to_255(map_coordinates_reflect(x, rows + dy.double(), cols + dx.double()))


@batched("pixelate")
def pixelate(image: torch.Tensor, c: float, ctx: BatchContext) -> torch.Tensor:
    height, width = image.shape[2:]
    if height != width:
        raise ValueError(f"pixelate expects square images, got {height}x{width}")
    return pil_box_resize(pil_box_resize(image, int(width * c)), width)


@batched("jpeg_compression")
def jpeg_compression(image: torch.Tensor, quality: int, ctx: BatchContext) -> torch.Tensor:
    # The codec is Pillow's, on the CPU: the numpy path itself, image by image (it looks `quality` up again).
    pixels = to_uint8(image).permute(0, 2, 3, 1).cpu().numpy()
    out = np.stack([corrupt(one, "jpeg_compression", ctx.severity) for one in pixels])
    return torch.from_numpy(out).to(image.device).permute(0, 3, 1, 2)


@batched("saturate")
def saturate(image: torch.Tensor, p: SaturateParams, ctx: BatchContext) -> torch.Tensor:
    hsv = rgb_to_hsv(unit(image))
    hsv[:, 1] = torch.clamp(hsv[:, 1] * p.scale + p.offset, 0, 1)
    return clip_to_255(hsv_to_rgb(hsv))
