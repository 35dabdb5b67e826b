"""Shard specs: small frozen, JSON-serialisable descriptions of one unit of evaluation work.

`key` names a shard within one evaluation (the service keeps one row per key); the data root and the subset
are the evaluation's, shared by all its shards, so they are part of the spec but not of the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from evaluators.benchmarks import ALL_CORRUPTIONS, ALL_PERTURBATIONS, DIFFICULTIES, SEVERITIES
from evaluators.data.subsets import Subset
from evaluators.errors import InvalidInputError, UnknownNameError


def _check_root(root: object) -> str:
    if not isinstance(root, str | Path) or not str(root):
        raise InvalidInputError(f"a shard needs a data folder, got {root!r}")
    return str(root)


def _check_corruption(corruption: str, severity: int) -> None:
    if corruption not in ALL_CORRUPTIONS:
        raise UnknownNameError(f"unknown corruption {corruption!r}; known: {', '.join(ALL_CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise InvalidInputError(f"severity must be one of 1-5, got {severity!r}")


@dataclass(frozen=True, kw_only=True)
class _Shard:
    kind: ClassVar[str]
    root: str
    subset: Subset | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", _check_root(self.root))

    @property
    def key(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["subset"] = None if self.subset is None else self.subset.to_dict()
        return {"kind": self.kind, **data}


@dataclass(frozen=True, kw_only=True)
class CleanShard(_Shard):
    """The clean validation folder `<root>/<wnid>/*`, with Resize + CenterCrop."""

    kind: ClassVar[str] = "clean"

    @property
    def key(self) -> str:
        return "clean"


@dataclass(frozen=True, kw_only=True)
class CorruptionShard(_Shard):
    """One (corruption, severity) of an ImageNet-C release: `<root>/<corruption>/<severity>/<wnid>/*.JPEG`."""

    kind: ClassVar[str] = "imagenet_c"
    corruption: str
    severity: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_corruption(self.corruption, self.severity)

    @property
    def key(self) -> str:
        return f"imagenet_c/{self.corruption}/{self.severity}"


@dataclass(frozen=True, kw_only=True)
class OnTheFlyShard(_Shard):
    """One (corruption, severity) computed from the clean folder `<root>/<wnid>/*` in the loader
    (evaluators.data.onthefly); `jpeg_quality` None skips the release's JPEG round trip."""

    kind: ClassVar[str] = "imagenet_c_on_the_fly"
    corruption: str
    severity: int
    seed: int = 0
    jpeg_quality: int | None = 85  # the release's quality (spec imagenet_cp.md §1.4)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_corruption(self.corruption, self.severity)
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise InvalidInputError(f"JPEG quality must be 1-100, got {self.jpeg_quality}")

    @property
    def key(self) -> str:
        jpeg = "raw" if self.jpeg_quality is None else f"jpeg{self.jpeg_quality}"
        return f"imagenet_c_on_the_fly/{self.corruption}/{self.severity}/seed{self.seed}/{jpeg}"


@dataclass(frozen=True, kw_only=True)
class PerturbationShard(_Shard):
    """One ImageNet-P perturbation at a difficulty: `<root>/<perturbation>[_2|_3]/<wnid>/*.mp4`."""

    kind: ClassVar[str] = "imagenet_p"
    perturbation: str
    difficulty: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.perturbation not in ALL_PERTURBATIONS:
            raise UnknownNameError(
                f"unknown perturbation {self.perturbation!r}; known: {', '.join(ALL_PERTURBATIONS)}")
        if self.difficulty not in DIFFICULTIES:
            raise InvalidInputError(f"difficulty must be one of 1-3, got {self.difficulty!r}")

    @property
    def key(self) -> str:
        return f"imagenet_p/{self.perturbation}/{self.difficulty}"


Shard = CleanShard | CorruptionShard | OnTheFlyShard | PerturbationShard
SHARD_KINDS: dict[str, type[Shard]] = {cls.kind: cls for cls in (CleanShard, CorruptionShard, OnTheFlyShard,
                                                                 PerturbationShard)}


def shard_from_dict(data: Mapping[str, Any]) -> Shard:
    """The inverse of `shard.to_dict()`."""
    kind = data.get("kind")
    if kind not in SHARD_KINDS:
        raise InvalidInputError(f"unknown shard kind {kind!r}; known: {', '.join(SHARD_KINDS)}")
    cls = SHARD_KINDS[kind]
    names = {f.name for f in fields(cls)}
    unexpected = sorted(set(data) - names - {"kind"})
    if unexpected:
        raise InvalidInputError(f"{kind} shard: unexpected fields {', '.join(unexpected)}")
    values = {k: v for k, v in data.items() if k in names}
    if values.get("subset") is not None:
        values["subset"] = Subset.from_dict(values["subset"])
    return cls(**values)
