"""Count states that merge by addition, like torchmetrics' states: shards add up to one pass over all data.

Only counts are stored anywhere (never ratios), so results merge exactly and can be renormalised later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Self

from evaluators.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class _Counts:
    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInputError(f"{type(self).__name__}.{f.name} must be a non-negative int, got {value!r}")

    def __add__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        names = {f.name for f in fields(cls)}
        missing, extra = names - data.keys(), data.keys() - names
        if missing or extra:
            raise InvalidInputError(
                f"{cls.__name__} needs keys {sorted(names)}; missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return cls(**{name: data[name] for name in names})  # type: ignore[arg-type]

    @classmethod
    def total(cls, parts: Iterable[Self]) -> Self:
        result = cls()
        for part in parts:
            result = result + part
        return result


@dataclass(frozen=True, slots=True)
class TopKCounts(_Counts):
    """Classification counts of one ImageNet-C (corruption, severity) shard or of the clean set."""

    images: int = 0
    top1_correct: int = 0
    top5_correct: int = 0

    def __post_init__(self) -> None:
        _Counts.__post_init__(self)
        if not self.top1_correct <= self.top5_correct <= self.images:
            raise InvalidInputError(f"inconsistent counts: need top1 <= top5 <= images, got {self}")

    @property
    def top1_error(self) -> float:
        return 1.0 - self.top1_correct / self._images()

    @property
    def top5_error(self) -> float:
        return 1.0 - self.top5_correct / self._images()

    def _images(self) -> int:
        if self.images == 0:
            raise InvalidInputError("no images counted: an error rate is undefined")
        return self.images


@dataclass(frozen=True, slots=True)
class SequenceCounts(_Counts):
    """ImageNet-P counts of one perturbation: compared frame pairs, prediction flips, summed top-5 distance.

    The reference averages per video, then over videos; every video of a perturbation has the same frame
    count, so that equals these pooled ratios.
    """

    sequences: int = 0
    pairs: int = 0
    flips: int = 0
    top5_distance_sum: int = 0

    def __post_init__(self) -> None:
        _Counts.__post_init__(self)
        if self.flips > self.pairs or self.top5_distance_sum > 15 * self.pairs:
            raise InvalidInputError(f"inconsistent counts: need flips <= pairs, distance <= 15*pairs: {self}")

    @property
    def flip_probability(self) -> float:
        return self.flips / self._pairs()

    @property
    def mean_top5_distance(self) -> float:
        return self.top5_distance_sum / self._pairs()

    def _pairs(self) -> int:
        if self.pairs == 0:
            raise InvalidInputError("no frame pairs counted: flip probability is undefined")
        return self.pairs
