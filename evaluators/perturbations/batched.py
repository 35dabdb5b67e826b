"""A batched torch path for the perturbations where it pays: every frame of a sequence in one batch, on any
device. The noise perturbations and the geometric ones (zoom_blur, translate, rotate, scale, shear, tilt)
run here; the others are the NumPy path's frames moved to the device.

Geometry follows the NumPy path's arithmetic operation for operation (the 2018 affine in float64: bilinear at
pixel centres, clamped taps, truncation, black outside; tilt: OpenCV 5's float32 warpPerspective kernel), so
on the CPU its frames equal the NumPy path's, and elsewhere they agree within the conformance tolerances (max
abs diff 1 on at most 10 % of values). Noise is drawn from torch generators on the device: with an int seed
on the CPU, gaussian_noise is the reference's stream; otherwise noise is statistically the same, not the same
numbers. On a CPU the NumPy path is the faster one; this path is for accelerators.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from evaluators.corruptions.batched.pixels import unit
from evaluators.corruptions.rng import IntSeedStream, make_rng
from evaluators.perturbations.affine import Affine, crop_centres, inverse_matrix
from evaluators.perturbations.api import check_difficulty, check_image, perturbation_entry, sequence
from evaluators.perturbations.crop import CROP, center_crop, crop_origin
from evaluators.perturbations.geometry import affine_calls, tilt_matrix
from evaluators.perturbations.noise import NOISY_FRAMES

BatchedFn = Callable[[torch.Tensor, object, torch.Generator], torch.Tensor]


def _lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return a + (b - a) * t  # Pillow's BILINEAR macro, in this order


def affine_frames(image: torch.Tensor, matrices: list[tuple[float, ...]]) -> torch.Tensor:
    """`affine.affine_frames` for all frames at once: uint8 H×W×C image → uint8 T×224×224×C."""
    height, width, channels = image.shape
    m = torch.tensor(matrices, dtype=torch.float64, device=image.device)[:, :, None, None]
    x, y = (torch.from_numpy(axis).to(image.device) for axis in crop_centres(width, height))
    big_x = (m[:, 0] * x + m[:, 1] * y[:, None]) + m[:, 2]
    big_y = (m[:, 3] * x + m[:, 4] * y[:, None]) + m[:, 5]
    inside = (big_x >= 0) & (big_x < width) & (big_y >= 0) & (big_y < height)
    planes = image.permute(2, 0, 1).reshape(channels, height * width).to(torch.float64)
    x_lo, x_hi, x_frac = _taps(big_x, width)
    y_lo, y_hi, y_frac = _taps(big_y, height)

    def pixels(rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        return torch.index_select(planes, 1, (rows * width + cols).reshape(-1)).reshape(channels, *rows.shape)

    top = _lerp(pixels(y_lo, x_lo), pixels(y_lo, x_hi), x_frac)
    bottom = _lerp(pixels(y_hi, x_lo), pixels(y_hi, x_hi), x_frac)
    value = _lerp(top, bottom, y_frac).masked_fill_(~inside, 0.0)
    return value.to(torch.uint8).permute(1, 2, 3, 0)  # float → uint8 truncates toward zero


def _taps(coord: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    shifted = coord - 0.5
    floor = torch.floor(shifted)
    index = floor.to(torch.int64)
    return index.clamp(0, size - 1), (index + 1).clamp(0, size - 1), shifted - floor


def translate_frames(image: torch.Tensor, shifts: range) -> torch.Tensor:
    """Nearest horizontal shifts (the picture moves right by each shift), centre crop, black outside."""
    height, width = image.shape[:2]
    left, top = crop_origin(width, height)
    shift = torch.tensor(list(shifts), device=image.device)[:, None]
    source = torch.arange(left, left + CROP, device=image.device) - shift  # T×224
    inside = (source >= 0) & (source < width)
    rows = image[top : top + CROP]
    frames = rows[:, source.clamp(0, width - 1)].permute(1, 0, 2, 3)  # T×224×224×C
    return frames * inside[:, None, :, None]


def _cv2_inverse(matrix: np.ndarray) -> np.ndarray:
    """OpenCV's 3×3 inverse (cv::invert, DECOMP_LU, which for 3×3 uses cofactors over the determinant), in its
    order of operations: warpPerspective maps output to input with it."""
    s = matrix
    det = (s[0, 0] * (s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]) - s[0, 1] * (s[1, 0] * s[2, 2] - s[1, 2] * s[2, 0])
           + s[0, 2] * (s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]))
    d = 1.0 / det
    return np.array([
        [(s[1, 1] * s[2, 2] - s[1, 2] * s[2, 1]) * d, (s[0, 2] * s[2, 1] - s[0, 1] * s[2, 2]) * d,
         (s[0, 1] * s[1, 2] - s[0, 2] * s[1, 1]) * d],
        [(s[1, 2] * s[2, 0] - s[1, 0] * s[2, 2]) * d, (s[0, 0] * s[2, 2] - s[0, 2] * s[2, 0]) * d,
         (s[0, 2] * s[1, 0] - s[0, 0] * s[1, 2]) * d],
        [(s[1, 0] * s[2, 1] - s[1, 1] * s[2, 0]) * d, (s[0, 1] * s[2, 0] - s[0, 0] * s[2, 1]) * d,
         (s[0, 0] * s[1, 1] - s[0, 1] * s[1, 0]) * d],
    ])


def _fma32(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """float32 a·b + c with one rounding (a vector FMA): exact in double for these operands, then rounded."""
    return (a.double() * b.double() + c.double()).float()


def perspective_frames(image: torch.Tensor, matrices: list[np.ndarray]) -> torch.Tensor:
    """cv2.warpPerspective(image, M, (W, H)) (bilinear, black border) of every matrix, centre crop, as OpenCV
    5's vector kernel computes it (bit-identical on the conformance stack): the inverse matrix in float32;
    per row y·m1 + m2 etc. in float32; per column x, FMAs with those, then divisions by w; floor; lerps as
    float32 FMAs; rounded half to even. A pixel whose taps all fall outside is 0, else outside taps read 0."""
    height, width, channels = image.shape
    device = image.device
    inverse = torch.tensor(np.stack([_cv2_inverse(m) for m in matrices]), device=device).float()
    m = inverse.reshape(-1, 9)[:, :, None, None]
    left, top = crop_origin(width, height)
    x = torch.arange(left, left + CROP, dtype=torch.float32, device=device)
    y = torch.arange(top, top + CROP, dtype=torch.float32, device=device)[:, None]
    row_x, row_y, row_w = (y * m[:, k + 1] + m[:, k + 2] for k in (0, 3, 6))
    w = _fma32(m[:, 6], x, row_w)
    src_x = _fma32(m[:, 0], x, row_x) / w
    src_y = _fma32(m[:, 3], x, row_y) / w
    x0, y0 = torch.floor(src_x), torch.floor(src_y)
    alpha, beta = src_x - x0, src_y - y0
    x0, y0 = x0.to(torch.int64), y0.to(torch.int64)
    planes = image.permute(2, 0, 1).reshape(channels, height * width).to(torch.float32)

    def tap(dy: int, dx: int) -> torch.Tensor:
        row, col = y0 + dy, x0 + dx
        inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
        flat = (row.clamp(0, height - 1) * width + col.clamp(0, width - 1)).reshape(-1)
        return torch.index_select(planes, 1, flat).reshape(channels, *row.shape) * inside

    top_row = _fma32(alpha, tap(0, 1) - tap(0, 0), tap(0, 0))
    bottom_row = _fma32(alpha, tap(1, 1) - tap(1, 0), tap(1, 0))
    value = torch.round(_fma32(beta, bottom_row - top_row, top_row))
    outside = (x0 < -1) | (x0 >= width) | (y0 < -1) | (y0 >= height)
    return value.masked_fill_(outside, 0.0).clamp_(0, 255).to(torch.uint8).permute(1, 2, 3, 0)


def _noise_frames(crop: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
    """Frame 0 the clean crop, then the noisy frames (T×C×224×224 in [0, 1]) clipped, ×255 and truncated."""
    frames = noisy.clamp_(0, 1).mul_(255).to(torch.uint8).permute(0, 2, 3, 1)
    return torch.cat((crop[None], frames))


def _gaussian_noise(image: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    crop = center_crop(image)
    x = unit(crop.permute(2, 0, 1), torch.float32)  # ToTensor, as the reference
    noise = torch.randn((NOISY_FRAMES, *x.shape), generator=generator, device=image.device)
    return _noise_frames(crop, noise.mul_(sigma).add_(x))


def _shot_noise(image: torch.Tensor, photons: float, generator: torch.Generator) -> torch.Tensor:
    crop = center_crop(image)
    rates = (unit(crop.permute(2, 0, 1)) * photons).expand(NOISY_FRAMES, -1, -1, -1)
    return _noise_frames(crop, torch.poisson(rates.contiguous(), generator=generator).div_(photons))


def _speckle_noise(image: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    crop = center_crop(image)
    x = unit(crop.permute(2, 0, 1))
    noise = torch.randn((NOISY_FRAMES, *x.shape), generator=generator, device=image.device, dtype=torch.float64)
    return _noise_frames(crop, noise.mul_(sigma).mul_(x).add_(x))


def _affine(name: str) -> BatchedFn:
    def frames(image: torch.Tensor, _: object, __: torch.Generator) -> torch.Tensor:
        height, width = image.shape[:2]
        return affine_frames(image, [inverse_matrix(call, width, height) for call in affine_calls(name)])

    return frames


def _zoom_blur(image: torch.Tensor, _: object, __: torch.Generator) -> torch.Tensor:
    height, width = image.shape[:2]
    frames = affine_frames(image, [inverse_matrix(Affine(scale=1 + 0.004 * k), width, height) for k in range(31)])
    # k = 0 is the plain crop (frame 0); a float32 running sum frame by frame, as the reference (torch.cumsum
    # would accumulate in double on the CPU).
    total = unit(frames[0], torch.float32)
    for i in range(1, 31):
        total += unit(frames[i], torch.float32)
        frames[i] = total.div(i + 1).mul(255).to(torch.uint8)
    return frames


def _translate(image: torch.Tensor, _: object, __: torch.Generator) -> torch.Tensor:
    return translate_frames(image, range(-20, 21))


def _tilt(image: torch.Tensor, _: object, __: torch.Generator) -> torch.Tensor:
    height, width = image.shape[:2]
    return perspective_frames(image, [tilt_matrix(i - 15, width, height) for i in range(31)])


BATCHED: dict[str, BatchedFn] = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "speckle_noise": _speckle_noise,
    "zoom_blur": _zoom_blur,
    "translate": _translate,
    "rotate": _affine("rotate"),
    "scale": _affine("scale"),
    "shear": _affine("shear"),
    "tilt": _tilt,
}


def _generator(seed: int | np.random.Generator | None, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device)
    if seed is None:
        generator.seed()
    elif isinstance(seed, np.random.Generator):
        generator.manual_seed(int(seed.integers(0, 2**63)))
    else:
        make_rng(seed, IntSeedStream.LEGACY)  # the numpy path's seed checks
        generator.manual_seed(int(seed))
    return generator


def sequence_torch(image: np.ndarray | Image.Image, name: str, difficulty: int = 1,
                   seed: int | np.random.Generator | None = None,
                   device: str | torch.device = "cpu") -> torch.Tensor:
    """`sequence` as a uint8 T×224×224×3 tensor on `device`, all frames computed in one batch where this
    module has the perturbation (noise and geometry), else the NumPy path's frames.

    seed: an int seeds a torch generator on the device (on the CPU, gaussian_noise is then the reference's
    stream; shot and speckle noise use torch's Poisson and normal samplers); a NumPy Generator gives it a seed."""
    entry = perturbation_entry(name)
    pixels = check_image(image)
    params = entry.params_for(check_difficulty(entry, difficulty))
    device = torch.device(device)
    if name not in BATCHED:
        return torch.from_numpy(sequence(pixels, name, difficulty, seed)).to(device)
    frames = BATCHED[name](torch.tensor(pixels, device=device), params, _generator(seed, device))
    return frames.contiguous()
