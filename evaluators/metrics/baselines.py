"""Normalising baselines as versioned data: a published table, or another model's measured counts.

ImageNet-C: the published AlexNet table (used when the data is the full standard set). ImageNet-P has no
published AlexNet table, so FP/T5D are normalised by a baseline model measured on the same data; the same
holds for any ImageNet-C subset or non-standard corruption set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from evaluators.benchmarks import ALL_CORRUPTIONS, ALL_PERTURBATIONS, SEVERITIES
from evaluators.errors import InvalidInputError
from evaluators.metrics.counts import SequenceCounts, TopKCounts
from evaluators.metrics.validation import check_error_table, check_names, check_rate


def _severity_key(severity: int | str) -> int:
    try:
        value = int(severity)
    except (TypeError, ValueError):
        raise InvalidInputError(f"severity {severity!r} is not an integer") from None
    if value not in SEVERITIES:
        raise InvalidInputError(f"severity {value} is outside 1..5")
    return value


def severity_errors(counts: Mapping[str, Mapping[int | str, TopKCounts]]) -> dict[str, dict[int, float]]:
    """Top-1 error per corruption and severity, for the severities present."""
    return {name: {_severity_key(s): c.top1_error for s, c in sorted(per.items(), key=lambda i: _severity_key(i[0]))}
            for name, per in counts.items()}


def top1_errors(counts: Mapping[str, Mapping[int | str, TopKCounts]]) -> dict[str, tuple[float, ...]]:
    """Per-corruption tuples of top-1 error for severities 1..5; every severity must be present."""
    errors = {}
    for name, by_severity in severity_errors(counts).items():
        missing = [s for s in SEVERITIES if s not in by_severity]
        if missing:
            raise InvalidInputError(f"{name}: no counts for severity {', '.join(map(str, missing))}")
        errors[name] = tuple(by_severity[s] for s in SEVERITIES)
    return errors


@dataclass(frozen=True)
class ImageNetCBaseline:
    """Per-severity top-1 errors of a baseline model (fractions) and optionally its clean error."""

    name: str
    version: str
    errors: Mapping[str, tuple[float, ...]]
    clean_error: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", check_error_table(self.errors, ALL_CORRUPTIONS, ()))
        if self.clean_error is not None:
            object.__setattr__(self, "clean_error", check_rate(self.clean_error, "baseline clean error"))

    @classmethod
    def from_counts(cls, name: str, version: str, counts: Mapping[str, Mapping[int | str, TopKCounts]],
                    clean: TopKCounts | None = None, source: str = "") -> ImageNetCBaseline:
        """A baseline measured on the same data as the models it normalises."""
        return cls(name, version, top1_errors(counts), None if clean is None else clean.top1_error, source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageNetCBaseline:
        return cls(str(data["name"]), str(data["version"]), data["errors"], data.get("clean_error"),
                   str(data.get("source", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "clean_error": self.clean_error, "errors": {k: list(v) for k, v in self.errors.items()}}


@dataclass(frozen=True)
class ImageNetPBaseline:
    """Raw flip probability and mean top-5 distance per perturbation of a baseline model."""

    name: str
    version: str
    flip_probability: Mapping[str, float]
    top5_distance: Mapping[str, float]
    source: str = field(default="")

    def __post_init__(self) -> None:
        # Same (known) perturbations on both sides.
        check_names(self.top5_distance, ALL_PERTURBATIONS, tuple(self.flip_probability), "perturbation")
        check_names(self.flip_probability, ALL_PERTURBATIONS, tuple(self.top5_distance), "perturbation")
        object.__setattr__(self, "flip_probability", {
            p: check_rate(v, f"baseline {p} flip probability") for p, v in self.flip_probability.items()})
        object.__setattr__(self, "top5_distance", {
            p: check_rate(v, f"baseline {p} top-5 distance", upper=15.0) for p, v in self.top5_distance.items()})

    @classmethod
    def from_counts(cls, name: str, version: str, counts: Mapping[str, SequenceCounts],
                    source: str = "") -> ImageNetPBaseline:
        return cls(name, version, {p: c.flip_probability for p, c in counts.items()},
                   {p: c.mean_top5_distance for p, c in counts.items()}, source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageNetPBaseline:
        return cls(str(data["name"]), str(data.get("version", "measured")), data["flip_probability"],
                   data["top5_distance"], str(data.get("source", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "flip_probability": dict(self.flip_probability), "top5_distance": dict(self.top5_distance)}


def _load_alexnet() -> ImageNetCBaseline:
    text = resources.files("evaluators.metrics").joinpath("data/alexnet_imagenet_c.json").read_text()
    return ImageNetCBaseline.from_dict(json.loads(text))


# The published AlexNet ImageNet-C table (spec imagenet_cp.md §2); mCE of AlexNet itself is 100.
ALEXNET_IMAGENET_C: ImageNetCBaseline = _load_alexnet()
