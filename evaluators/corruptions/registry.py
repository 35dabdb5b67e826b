"""The corruption registry: one entry per corruption with the reference's constants and metadata."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluators.benchmarks import corruption_group
from evaluators.corruptions.rng import IntSeedStream, Rng
from evaluators.registry import Registry


@dataclass(frozen=True)
class Context:
    """What a corruption may need besides the image and its constants."""

    rng: Rng
    frost_dir: str | os.PathLike[str] | None = None


CorruptionFn = Callable[[np.ndarray, Any, Context], Any]


@dataclass(frozen=True)
class CorruptionEntry:
    """A corruption: `fn(image, params[severity - 1], context)` is the reference's `corruption(x, severity)`
    before the final uint8 conversion, for a uint8 224×224×3 image."""

    name: str
    group: str  # noise, blur, weather, digital or extra (evaluators.benchmarks)
    deterministic: bool
    params: tuple[Any, ...]  # the reference's per-severity constants, severities 1..5
    fn: CorruptionFn
    int_seed: IntSeedStream  # the stream an int seed drives

    def params_for(self, severity: int) -> Any:
        return self.params[severity - 1]


CORRUPTION_REGISTRY: Registry[CorruptionEntry] = Registry("corruption")

# Names the constants and algorithms below (spec imagenet_cp.md §1, the reference at hendrycks/robustness
# 8190fe3, 224 edition); recorded with generated datasets. Change it whenever an output could change.
CONSTANTS_VERSION = "imagenet-c-224/hendrycks-robustness@8190fe3/cpbench-1"


def register(
    name: str,
    params: Sequence[Any],
    *,
    deterministic: bool = False,
    int_seed: IntSeedStream = IntSeedStream.LEGACY,
) -> Callable[[CorruptionFn], CorruptionFn]:
    """Decorator: add the function as corruption `name` with its five per-severity constants."""
    if len(params) != 5:
        raise ValueError(f"{name}: expected constants for 5 severities, got {len(params)}")

    def decorate(fn: CorruptionFn) -> CorruptionFn:
        entry = CorruptionEntry(name, corruption_group(name), deterministic, tuple(params), fn, int_seed)
        CORRUPTION_REGISTRY.add(name, entry)
        return fn

    return decorate
