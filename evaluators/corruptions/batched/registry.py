"""The batched corruptions, by name: `fn(image, params, context)` is the torch counterpart of the numpy
path's `CorruptionEntry.fn`, for a B×3×H×W batch (see `pixels`), with the same per-severity constants."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from evaluators.corruptions.api import corruption_entry
from evaluators.corruptions.batched.draws import Draws


@dataclass(frozen=True)
class BatchContext:
    """What a batched corruption may need besides the batch and its constants."""

    draws: Draws
    severity: int
    frost_dir: str | os.PathLike[str] | None = None


BatchedFn = Callable[[torch.Tensor, Any, BatchContext], torch.Tensor]


@dataclass(frozen=True)
class BatchedEntry:
    fn: BatchedFn
    # Images per call on the CPU: a few images keep the float64 temporaries in cache and out of fresh pages
    # (much faster than a big batch); a corruption with a per-row loop prefers more.
    cpu_chunk: int


BATCHED: dict[str, BatchedEntry] = {}


def batched(name: str, *, cpu_chunk: int = 2) -> Callable[[BatchedFn], BatchedFn]:
    """Decorator: the batched version of the registered corruption `name`."""
    corruption_entry(name)  # an unknown name fails at import

    def decorate(fn: BatchedFn) -> BatchedFn:
        if name in BATCHED:
            raise ValueError(f"batched corruption {name!r} registered twice")
        BATCHED[name] = BatchedEntry(fn, cpu_chunk)
        return fn

    return decorate
