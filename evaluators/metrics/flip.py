"""ImageNet-P: flip probability (FP) and top-5 distance (T5D) (spec imagenet_cp.md §4).

Pairing as the reference test.py: noise perturbations compare every frame with frame 0 (difficulty only
picks the folder); the others compare frames j and j+d. For a pair (a, b), with σ(t) the rank in b of the
class ranked t in a (ordinal ranks, ties to the lower class index):
    d(a, b) = Σ_{t=1..5} |t − min(σ(t), 6)|        (0..15, computed in signed ints: the reference's
                                                     uint16 ranks overflow here).
A numpy reference (`top5_distance`, `sequence_counts`) and a batched torch path (`sequence_counts_torch`)
that runs on the device and is tested against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluators.benchmarks import ALL_PERTURBATIONS, PERTURBATIONS
from evaluators.errors import InvalidInputError
from evaluators.metrics.baselines import ImageNetPBaseline
from evaluators.metrics.counts import SequenceCounts
from evaluators.metrics.units import percent

if TYPE_CHECKING:  # torch loads with the runner; scoring numbers needs only NumPy
    import torch
from evaluators.metrics.validation import check_names, check_rate

TOP = 5


def pair_indices(n_frames: int, noise: bool, difficulty: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(reference frame, compared frame) index arrays of one sequence."""
    if difficulty < 1:
        raise InvalidInputError(f"difficulty must be >= 1, got {difficulty}")
    if noise:
        later = np.arange(1, n_frames)
        return np.zeros_like(later), later
    first = np.arange(0, max(n_frames - difficulty, 0))
    return first, first + difficulty


def _ordinal_ranks(logits: np.ndarray) -> np.ndarray:
    """rank[k] in 1..C of class k under descending logits, ties to the lower index (scipy 'ordinal')."""
    order = np.argsort(-logits, kind="stable")
    ranks = np.empty(logits.shape[-1], dtype=np.int64)
    ranks[order] = np.arange(1, logits.shape[-1] + 1)
    return ranks


def top5_distance(logits_a: np.ndarray, logits_b: np.ndarray) -> int:
    """Reference top-5 distance between two frames' logits (a is the reference frame)."""
    order_a = np.argsort(-np.asarray(logits_a), kind="stable")[:TOP]
    sigma = _ordinal_ranks(np.asarray(logits_b))[order_a]
    return int(np.abs(np.arange(1, TOP + 1) - np.minimum(sigma, TOP + 1)).sum())


def sequence_counts(logits: np.ndarray, noise: bool, difficulty: int = 1) -> SequenceCounts:
    """Counts of one sequence from its frames' logits (T x C), the straightforward way."""
    logits = np.asarray(logits)
    predictions = logits.argmax(axis=1)
    a, b = pair_indices(len(logits), noise, difficulty)
    flips = int((predictions[a] != predictions[b]).sum())
    distance = sum(top5_distance(logits[i], logits[j]) for i, j in zip(a, b, strict=True))
    return SequenceCounts(sequences=1, pairs=len(a), flips=flips, top5_distance_sum=distance)


def sequence_counts_torch(logits: torch.Tensor, noise: bool, difficulty: int = 1) -> SequenceCounts:
    """Counts of N sequences at once from logits N x T x C, vectorised on logits' device."""
    import torch

    if logits.ndim != 3:
        raise InvalidInputError(f"expected logits of shape N x T x C, got {tuple(logits.shape)}")
    n, t, _ = logits.shape
    a, b = (torch.as_tensor(i, device=logits.device) for i in pair_indices(t, noise, difficulty))
    logits = logits.float()
    # Stable descending order: ties go to the lower class index, as argmax and scipy's ordinal ranks do.
    top = torch.sort(-logits, dim=-1, stable=True).indices[..., :TOP]  # N x T x 5
    ref_top = top[:, a]  # N x P x 5: a's five best classes, best first
    other = logits[:, b]  # N x P x C
    ref_in_other = other.gather(-1, ref_top)  # N x P x 5: b's logits of a's top classes
    # Ordinal rank in b of each of those classes: 1 + (#classes with larger logit) + (#equal, lower index).
    classes = torch.arange(logits.shape[-1], device=logits.device)
    above = other.unsqueeze(-2) > ref_in_other.unsqueeze(-1)  # N x P x 5 x C
    tied_before = (other.unsqueeze(-2) == ref_in_other.unsqueeze(-1)) & (classes < ref_top.unsqueeze(-1))
    sigma = 1 + (above | tied_before).sum(-1)
    positions = torch.arange(1, TOP + 1, device=logits.device)
    distance = (positions - sigma.clamp(max=TOP + 1)).abs().sum()
    flips = (top[:, a, 0] != top[:, b, 0]).sum()
    return SequenceCounts(sequences=n, pairs=n * len(a), flips=int(flips), top5_distance_sum=int(distance))


@dataclass(frozen=True)
class ImageNetPReport:
    """Raw FP and mean top-5 distance per perturbation; normalised by a baseline when one is given."""

    flip_probability: dict[str, float]
    top5_distance: dict[str, float]
    baseline: ImageNetPBaseline | None
    flip_rate: dict[str, float | None] | None  # FP / FP_base (the paper's FR)
    normalized_top5_distance: dict[str, float | None] | None
    mean_flip_probability: float | None  # raw, over the 10 test perturbations
    mean_top5_distance: float | None
    mfp: float | None  # mean normalised FP over the 10 test perturbations (paper: mFR)
    mt5d: float | None
    notes: tuple[str, ...] = ()

    def to_dict(self, ndigits: int | None = 2) -> dict[str, Any]:
        def pct(value: float | None) -> float | None:
            return percent(value, ndigits)

        def pcts(table: Mapping[str, float | None] | None) -> dict[str, float | None] | None:
            return None if table is None else {p: pct(v) for p, v in table.items()}

        def plain(value: float | None) -> float | None:
            return value if value is None or ndigits is None else round(value, ndigits + 2)

        return {
            "mfp": pct(self.mfp),
            "mt5d": pct(self.mt5d),
            "fp": pcts(self.flip_rate),
            "t5d": pcts(self.normalized_top5_distance),
            "mean_flip_probability_raw": pct(self.mean_flip_probability),
            "mean_top5_distance_raw": plain(self.mean_top5_distance),
            "flip_probability_raw": pcts(self.flip_probability),
            "top5_distance_raw": {p: plain(v) for p, v in self.top5_distance.items()},
            "baseline": None if self.baseline is None else
            {"name": self.baseline.name, "version": self.baseline.version},
            "notes": list(self.notes),
        }


def imagenet_p_report(flip_probability: Mapping[str, float], top5_distance: Mapping[str, float],
                      baseline: ImageNetPBaseline | None = None) -> ImageNetPReport:
    """Scores raw per-perturbation FP and mean top-5 distance; mFP/mT5D need all 10 test perturbations."""
    check_names(flip_probability, ALL_PERTURBATIONS, tuple(top5_distance), "perturbation")
    check_names(top5_distance, ALL_PERTURBATIONS, tuple(flip_probability), "perturbation")
    if not flip_probability:
        raise InvalidInputError("no perturbation results given")
    fp = {p: check_rate(v, f"{p} flip probability") for p, v in flip_probability.items()}
    t5d = {p: check_rate(v, f"{p} top-5 distance", upper=15.0) for p, v in top5_distance.items()}
    test = [p for p in PERTURBATIONS if p in fp]
    notes: list[str] = []
    if len(test) != len(PERTURBATIONS):
        notes.append("no mean over the test perturbations: it needs all 10; absent: "
                     + ", ".join(p for p in PERTURBATIONS if p not in fp))
    fr = nt5d = None
    if baseline is not None:
        absent = [p for p in fp if p not in baseline.flip_probability]
        if absent:
            raise InvalidInputError(f"baseline {baseline.name!r} has no results for {', '.join(absent)}")
        fr = {p: _normalise(fp[p], baseline.flip_probability[p], f"{p} flip probability", notes) for p in fp}
        nt5d = {p: _normalise(t5d[p], baseline.top5_distance[p], f"{p} top-5 distance", notes) for p in t5d}
    else:
        notes.append("no baseline: raw flip probability and top-5 distance only")
    return ImageNetPReport(
        flip_probability=fp,
        top5_distance=t5d,
        baseline=baseline,
        flip_rate=fr,
        normalized_top5_distance=nt5d,
        mean_flip_probability=_mean_of_tests(fp),
        mean_top5_distance=_mean_of_tests(t5d),
        mfp=_mean_of_tests(fr),
        mt5d=_mean_of_tests(nt5d),
        notes=tuple(notes),
    )


def _normalise(value: float, base: float, what: str, notes: list[str]) -> float | None:
    if base <= 0.0:
        notes.append(f"baseline {what} is 0: it cannot normalise")
        return None
    return value / base


def _mean_of_tests(values: Mapping[str, float | None] | None) -> float | None:
    """Mean over the 10 test perturbations, when every one of them is defined."""
    if values is None or any(values.get(p) is None for p in PERTURBATIONS):
        return None
    return fmean(values[p] for p in PERTURBATIONS)  # type: ignore[misc]


def imagenet_p_report_from_counts(counts: Mapping[str, SequenceCounts],
                       baseline: ImageNetPBaseline | None = None) -> ImageNetPReport:
    return imagenet_p_report({p: c.flip_probability for p, c in counts.items()},
                             {p: c.mean_top5_distance for p, c in counts.items()}, baseline)
