"""The perturbation registry: one entry per ImageNet-P perturbation with the reference's constants."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from evaluators.benchmarks import DIFFICULTIES, PERTURBATIONS, is_noise_perturbation
from evaluators.corruptions.rng import Rng
from evaluators.registry import Registry

# What a sequence draws from: NumPy's legacy stream (an int seed, as the reference's np.random.seed), a NumPy
# Generator, or torch's CPU generator (gaussian_noise's int seed, as the reference's torch.manual_seed).
Draws = Rng | torch.Generator
SequenceFn = Callable[[np.ndarray, Any, Draws], np.ndarray]


@dataclass(frozen=True)
class PerturbationEntry:
    """A perturbation: `fn(image, params, draws)` is the reference block's frames, uint8 T×224×224×3, for
    the Resize(256) image (uint8 H×W×3)."""

    name: str
    split: str  # "test" (enters mFP/mT5D) or "validation"
    frames: int
    deterministic: bool
    params: tuple[Any, ...]  # by difficulty: 1..3 for the noise perturbations, difficulty 1 only otherwise
    fn: SequenceFn
    torch_seed: bool  # an int seed drives torch's CPU generator instead of NumPy's legacy one

    @property
    def difficulties(self) -> tuple[int, ...]:
        return DIFFICULTIES[: len(self.params)]

    def params_for(self, difficulty: int) -> Any:
        return self.params[difficulty - 1]


PERTURBATION_REGISTRY: Registry[PerturbationEntry] = Registry("perturbation")

# Names the constants and algorithms (spec imagenet_cp.md §3, the reference at hendrycks/robustness 8190fe3,
# geometry of torchvision 0.2.1); recorded with generated datasets. Change it whenever an output could change.
CONSTANTS_VERSION = "imagenet-p/hendrycks-robustness@8190fe3/torchvision-0.2.1-affine/cpbench-1"


def register(name: str, params: Sequence[Any] | None = None, *, frames: int = 31, deterministic: bool = False,
             torch_seed: bool = False) -> Callable[[SequenceFn], SequenceFn]:
    """Decorator: add the function as perturbation `name`; noise perturbations take one constant per
    difficulty (folders `<name>`, `<name>_2`, `<name>_3`), the others at most one."""
    values = (None,) if params is None else tuple(params)
    expected = len(DIFFICULTIES) if is_noise_perturbation(name) else 1
    if len(values) != expected:
        raise ValueError(f"{name}: expected {expected} constant(s), got {len(values)}")

    def decorate(fn: SequenceFn) -> SequenceFn:
        split = "test" if name in PERTURBATIONS else "validation"
        PERTURBATION_REGISTRY.add(name, PerturbationEntry(name, split, frames, deterministic, values, fn, torch_seed))
        return fn

    return decorate
