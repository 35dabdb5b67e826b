"""What one shard run returns: counts (never ratios), the data it saw, what it skipped and how it ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluators.data.manifest import Manifest
from evaluators.metrics import SequenceCounts, TopKCounts
from evaluators.runner.records import provenance
from evaluators.runner.shards import Shard


@dataclass(frozen=True)
class ShardResult:
    shard: Shard
    counts: TopKCounts | SequenceCounts
    images: int  # images, or video frames, the model classified
    manifest: Manifest  # exactly the files whose predictions are in `counts`
    skipped: dict[str, str] = field(default_factory=dict)  # file -> reason (missing, unreadable, mislabeled)
    complete: bool = True  # False when `max_batches` stopped the run early
    settings: dict[str, Any] = field(default_factory=dict)  # device, precision, batch size, preprocessing, ...
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return self.shard.key

    def provenance(self, *, weights: str | Path | None = None, weights_sha256: str | None = None,
                   model: str | None = None) -> dict[str, Any]:
        """The run's settings, this shard's manifest hash, versions and device, and the weights' sha256."""
        return provenance(self.settings, manifest_sha256=self.manifest.sha256, weights=weights,
                          weights_sha256=weights_sha256, model=model)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "shard": self.shard.to_dict(),
            "counts": self.counts.to_dict(),
            "images": self.images,
            "manifest": self.manifest.to_dict(),
            "skipped": dict(sorted(self.skipped.items())),
            "complete": self.complete,
            "settings": self.settings,
            "seconds": round(self.seconds, 3),
        }
