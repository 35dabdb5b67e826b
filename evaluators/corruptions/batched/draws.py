"""Random fields for a batch: every call returns one (B, *shape) tensor on the batch's device, one field per
image, whatever the source of randomness.

Three sources, chosen by `corrupt_batch`'s `generator` argument:

* one `torch.Generator` (or None: torch's default generator): one draw for the whole batch, so an image's
  field depends on its place in the batch;
* one int seed per image: a generator per image, seeded with it, so an image's output depends only on its
  seed and pixels, never on its batch neighbours (what a dataset generator needs to be resumable);
* `numpy_rng=True` with int seeds: each image's fields are drawn on the CPU from the numpy path's own stream
  for that seed (`make_rng`, the reference's `np.random.seed` protocol), in the numpy path's shapes and order,
  then moved to the device, so the output is the numpy path's `corrupt(..., seed=seed)`.

Shapes are the numpy path's (H×W×C for per-pixel noise): a numpy stream fills them in that order.
torch streams are the device's own (CPU and CUDA generators give different numbers for one seed).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import torch

from evaluators.corruptions.rng import IntSeedStream, make_rng, randint

Shape = tuple[int, ...]


class Draws(ABC):
    """The draws a batched corruption may ask for; each returns (B, *shape) on `device`."""

    batch: int
    device: torch.device

    @abstractmethod
    def normal(self, shape: Shape, loc: float = 0.0, scale: float = 1.0) -> torch.Tensor:
        """float64 N(loc, scale²)."""

    @abstractmethod
    def uniform(self, low: float, high: float, shape: Shape = ()) -> torch.Tensor:
        """float64 U[low, high)."""

    @abstractmethod
    def random(self, shape: Shape) -> torch.Tensor:
        """float64 U[0, 1)."""

    @abstractmethod
    def integers(self, low: int, high: int, shape: Shape = ()) -> torch.Tensor:
        """int64 in [low, high)."""

    @abstractmethod
    def integers_below(self, highs: torch.Tensor) -> torch.Tensor:
        """One int64 in [0, highs[i]) per image (a bound that depends on an earlier draw)."""

    @abstractmethod
    def poisson(self, rates: torch.Tensor) -> torch.Tensor:
        """float64 Poisson(rates) elementwise; `rates` is (B, *shape) float64 in the numpy path's layout."""


class TorchDraws(Draws):
    """Draws from torch generators on the device: one for the whole batch, or one per image."""

    def __init__(self, batch: int, device: torch.device, generators: Sequence[torch.Generator | None]) -> None:
        if len(generators) not in (1, batch):
            raise ValueError(f"need 1 or {batch} generators, got {len(generators)}")
        self.batch = batch
        self.device = device
        self.generators = list(generators)

    def _fields(self, draw: Callable[[torch.Generator | None, Shape], torch.Tensor], shape: Shape) -> torch.Tensor:
        if len(self.generators) == 1:
            return draw(self.generators[0], (self.batch, *shape))
        return torch.stack([draw(generator, shape) for generator in self.generators])

    def _options(self, generator: torch.Generator | None) -> dict:
        return {"generator": generator, "device": self.device, "dtype": torch.float64}

    def normal(self, shape: Shape, loc: float = 0.0, scale: float = 1.0) -> torch.Tensor:
        return self._fields(lambda g, s: torch.randn(s, **self._options(g)), shape) * scale + loc

    def uniform(self, low: float, high: float, shape: Shape = ()) -> torch.Tensor:
        return self._fields(lambda g, s: torch.rand(s, **self._options(g)), shape) * (high - low) + low

    def random(self, shape: Shape) -> torch.Tensor:
        return self._fields(lambda g, s: torch.rand(s, **self._options(g)), shape)

    def integers(self, low: int, high: int, shape: Shape = ()) -> torch.Tensor:
        return self._fields(lambda g, s: torch.randint(low, high, s, generator=g, device=self.device), shape)

    def integers_below(self, highs: torch.Tensor) -> torch.Tensor:
        return (self.random(()) * highs.to(torch.float64)).floor().to(torch.int64)

    def poisson(self, rates: torch.Tensor) -> torch.Tensor:
        if len(self.generators) == 1:
            return torch.poisson(rates, generator=self.generators[0])
        return torch.stack([torch.poisson(r, generator=g) for r, g in zip(rates, self.generators, strict=True)])


class NumpyDraws(Draws):
    """Draws from the numpy path's streams, one per image seed, on the CPU (see the module docstring)."""

    def __init__(self, device: torch.device, seeds: Sequence[int], stream: IntSeedStream) -> None:
        self.batch = len(seeds)
        self.device = device
        self.rngs = [make_rng(seed, stream) for seed in seeds]

    def _stack(self, arrays: list) -> torch.Tensor:
        return torch.from_numpy(np.stack(arrays)).to(self.device)

    def normal(self, shape: Shape, loc: float = 0.0, scale: float = 1.0) -> torch.Tensor:
        return self._stack([rng.normal(loc=loc, scale=scale, size=shape or None) for rng in self.rngs])

    def uniform(self, low: float, high: float, shape: Shape = ()) -> torch.Tensor:
        return self._stack([rng.uniform(low, high, size=shape or None) for rng in self.rngs])

    def random(self, shape: Shape) -> torch.Tensor:
        return self._stack([rng.random(shape or None) for rng in self.rngs])

    def integers(self, low: int, high: int, shape: Shape = ()) -> torch.Tensor:
        return self._stack([randint(rng, low, high, size=shape or None) for rng in self.rngs]).to(torch.int64)

    def integers_below(self, highs: torch.Tensor) -> torch.Tensor:
        bounds = highs.tolist()
        return self._stack([randint(rng, 0, high) for rng, high in zip(self.rngs, bounds, strict=True)])

    def poisson(self, rates: torch.Tensor) -> torch.Tensor:
        arrays = rates.cpu().numpy()
        return self._stack([rng.poisson(lam).astype(np.float64) for rng, lam in zip(self.rngs, arrays, strict=True)])
