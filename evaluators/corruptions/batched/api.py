"""`corrupt_batch`: one ImageNet-C corruption of a batch of images, on the batch's device."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np
import torch

from evaluators.corruptions.api import IMAGE_SHAPE, check_severity, corruption_entry
from evaluators.corruptions.batched import blur, digital, frost, noise, weather  # noqa: F401  (they register)
from evaluators.corruptions.batched.draws import Draws, NumpyDraws, TorchDraws
from evaluators.corruptions.batched.pixels import unit
from evaluators.corruptions.batched.registry import BATCHED, BatchContext
from evaluators.corruptions.rng import IntSeedStream
from evaluators.errors import InvalidInputError

_SEED_LIMIT = 2**63  # torch.Generator.manual_seed takes any int below 2**64; numpy's legacy seeds stop at 2**32


def corrupt_batch(
    x: torch.Tensor,
    name: str,
    severity: int,
    generator: torch.Generator | Sequence[int] | None = None,
    *,
    numpy_rng: bool = False,
    frost_dir: str | os.PathLike[str] | None = None,
) -> torch.Tensor:
    """Apply corruption `name` at `severity` (1..5) to a batch x of shape B×3×224×224, on x's device.

    x: uint8 (the numpy path's input, image by image) → uint8, the numpy path's truncated result; or float
    in [0, 1] (x·255 stands for the uint8 values) → the same dtype in [0, 1], the corruption's result before
    that truncation. Steps that only exist in 8 bits stay 8-bit either way (the JPEG codec, glass blur's uint8
    step, snow's 8-bit layer).

    generator: a `torch.Generator` on x's device draws the whole batch's random fields (an image's result then
    depends on its place in the batch); a sequence of B ints seeds one generator per image (an image's result
    depends only on its seed and pixels); None uses torch's default generator. The fields are torch's, not
    the numpy path's draws: the same distributions, other numbers. numpy_rng=True (int seeds required) draws
    them on the CPU from the numpy path's stream for each seed instead, so that image i gives
    `corrupt(x[i], name, severity, seed=generator[i])`. Deterministic corruptions ignore the randomness.
    frost_dir: where the frost textures are (see `evaluators.corruptions.frost`).
    """
    entry = corruption_entry(name)
    severity = check_severity(severity)
    image = _check_batch(x)
    batch, device = image.shape[0], image.device
    stream = entry.int_seed if numpy_rng else None
    make_draws = _draw_source(generator, batch, device, stream)
    implementation = BATCHED[entry.name]
    chunk = implementation.cpu_chunk if device.type == "cpu" else batch
    outs = []
    for start in range(0, batch, chunk):
        stop = min(start + chunk, batch)
        context = BatchContext(draws=make_draws(start, stop), severity=severity, frost_dir=frost_dir)
        outs.append(implementation.fn(image[start:stop], entry.params_for(severity), context))
    out = outs[0] if len(outs) == 1 else torch.cat(outs)
    if x.dtype == torch.uint8:
        return out.to(torch.uint8)  # truncates, as the numpy path's np.uint8(...)
    return unit(out).to(x.dtype)


def _check_batch(x: object) -> torch.Tensor:
    """The batch as the corruptions take it (see `pixels`): uint8 as given, float scaled to 0–255 in float64."""
    expected = (IMAGE_SHAPE[2], *IMAGE_SHAPE[:2])
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != expected or x.shape[0] == 0:
        got = f"{x.dtype} {'x'.join(map(str, x.shape))}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise InvalidInputError(
            "x must be a torch tensor of shape Bx3x224x224 (B >= 1, RGB; the ImageNet-C 224 edition), "
            f"got {got}"
        )
    if x.dtype == torch.uint8:
        return x
    if not x.is_floating_point():
        raise InvalidInputError(f"x must be uint8 or a float tensor in [0, 1], got {x.dtype}")
    low, high = torch.aminmax(x)
    if not (float(low) >= 0 and float(high) <= 1):  # also refuses NaN
        raise InvalidInputError(f"a float x must lie in [0, 1], got values in [{float(low)}, {float(high)}]")
    return x.to(torch.float64) * 255


def _draw_source(generator: object, batch: int, device: torch.device,
                 numpy_stream: IntSeedStream | None) -> Callable[[int, int], Draws]:
    """(start, stop) → the Draws of images start..stop−1 (a batch may be corrupted in chunks)."""
    if isinstance(generator, torch.Generator):
        if numpy_stream is not None:
            raise InvalidInputError("numpy_rng=True needs one int seed per image, not a torch.Generator")
        if generator.device.type != device.type:
            raise InvalidInputError(f"generator is on {generator.device}, x on {device}: they must match")
        return lambda start, stop: TorchDraws(stop - start, device, [generator])
    if generator is None:
        if numpy_stream is not None:
            raise InvalidInputError("numpy_rng=True needs one int seed per image")
        return lambda start, stop: TorchDraws(stop - start, device, [None])
    seeds = _check_seeds(generator, batch)
    if numpy_stream is not None:
        return lambda start, stop: NumpyDraws(device, seeds[start:stop], numpy_stream)
    generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    return lambda start, stop: TorchDraws(stop - start, device, generators[start:stop])


def _check_seeds(seeds: object, batch: int) -> list[int]:
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray | torch.Tensor):
        raise InvalidInputError(
            f"generator must be a torch.Generator, a sequence of {batch} int seeds or None, got "
            f"{type(seeds).__name__}"
        )
    values = seeds.tolist() if isinstance(seeds, np.ndarray | torch.Tensor) else list(seeds)
    if len(values) != batch:
        raise InvalidInputError(f"need one seed per image: {batch} images, {len(values)} seeds")
    for seed in values:
        if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= int(seed) < _SEED_LIMIT:
            raise InvalidInputError(f"seeds must be ints in [0, 2**63), got {seed!r}")
    return [int(seed) for seed in values]
