"""Counts from logits on the device, with the reference's tie-breaking, accumulated without syncing per batch."""

from __future__ import annotations

import torch

from evaluators.benchmarks import is_noise_perturbation
from evaluators.errors import InvalidInputError
from evaluators.metrics import SequenceCounts, TopKCounts, sequence_counts_torch

TOP = 5


def check_logits(logits: torch.Tensor, classes: int) -> None:
    if logits.ndim != 2 or logits.shape[1] != classes:
        raise InvalidInputError(f"the model outputs shape {tuple(logits.shape)}, but the class list has {classes} "
                                "classes; pass the model's class list")


class TopKCounter:
    """Top-1/top-5 hits of a shard. A label's rank is the number of classes ahead of it under a stable
    descending sort (larger logit, or equal logit and lower index): top-1 is rank 0, which is argmax's first
    maximum, and top-5 is rank < 5, so ties (common in bf16) resolve as in numpy's stable argsort."""

    def __init__(self, device: torch.device) -> None:
        self.images = 0
        self._hits = torch.zeros(3, dtype=torch.int64, device=device)  # top-1, top-5, non-finite rows

    def add(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        logits = logits.float()
        own = logits.gather(1, labels[:, None])
        classes = torch.arange(logits.shape[1], device=logits.device)
        ahead = (logits > own) | ((logits == own) & (classes < labels[:, None]))
        rank = ahead.sum(1)
        nonfinite = (~torch.isfinite(logits)).any(1)
        self._hits += torch.stack([(rank == 0).sum(), (rank < TOP).sum(), nonfinite.sum()])
        self.images += len(labels)

    def counts(self) -> TopKCounts:
        top1, top5, nonfinite = (int(v) for v in self._hits.tolist())
        if nonfinite:
            raise InvalidInputError(f"the model produced non-finite logits for {nonfinite} image(s); with bf16, "
                                    "try fp32")
        return TopKCounts(images=self.images, top1_correct=top1, top5_correct=top5)


class SequenceCounter:
    """ImageNet-P counts of a shard: pairing and difficulty from evaluators.benchmarks, ranks on the device."""

    def __init__(self, perturbation: str, difficulty: int) -> None:
        self.noise = is_noise_perturbation(perturbation)
        self.difficulty = difficulty
        self.total = SequenceCounts()

    def add(self, logits: torch.Tensor) -> None:
        """Logits of N videos of equal length, N x T x C."""
        if not bool(torch.isfinite(logits).all()):
            raise InvalidInputError("the model produced non-finite logits on some video frames; with bf16, try fp32")
        self.total = self.total + sequence_counts_torch(logits.float(), self.noise, self.difficulty)
