"""`make-c`: an ImageNet-style folder -> `<dst>/<corruption>/<severity>/<wnid>/<file>` JPEGs, as the release.

Each source goes through PIL RGB, Resize(256), CenterCrop(224) exactly as the reference, then every
requested (corruption, severity) with the seed derive_seed(run seed, corruption, severity, relative path),
and is saved as JPEG quality 85 with optimize on (the release's format) under its original file name.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

import evaluators
from evaluators.benchmarks import ALL_CORRUPTIONS, SEVERITIES
from evaluators.corruptions import CONSTANTS_VERSION, corrupt
from evaluators.data.transforms import load_clean_224
from evaluators.errors import InvalidInputError
from evaluators.generate.atomic import atomic_write
from evaluators.generate.driver import generate
from evaluators.generate.manifest import sha256_file, write_manifest
from evaluators.generate.sources import UNREADABLE, Source, iter_sources
from evaluators.generate.summary import SourceOutcome, Summary
from evaluators.seeding import derive_seed

JPEG_QUALITY = 85


def encode_jpeg(image: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class MakeC:
    src: Path
    dst: Path
    corruptions: tuple[str, ...]
    severities: tuple[int, ...] = SEVERITIES
    seed: int = 0
    frost_dir: Path | None = None

    def __post_init__(self) -> None:
        unknown = [c for c in self.corruptions if c not in ALL_CORRUPTIONS]
        if unknown or not self.corruptions:
            raise InvalidInputError(f"unknown corruption {', '.join(map(repr, unknown))}; "
                                    f"known: {', '.join(ALL_CORRUPTIONS)}" if unknown else "no corruptions chosen")
        bad = [s for s in self.severities if s not in SEVERITIES]
        if bad or not self.severities:
            raise InvalidInputError(f"severities must be in 1..5, got {list(self.severities)}")
        if self.dst.resolve().is_relative_to(self.src.resolve()):
            raise InvalidInputError(f"destination {self.dst} lies inside the source folder {self.src}")

    def output(self, corruption: str, severity: int, relpath: str) -> Path:
        return self.dst / corruption / str(severity) / relpath

    def seed_for(self, corruption: str, severity: int, relpath: str) -> int:
        return derive_seed(self.seed, corruption, severity, relpath)

    def process(self, source: Source) -> SourceOutcome:
        """All missing outputs of one source image; an unreadable source is reported, never raised."""
        todo = [(c, s) for c in self.corruptions for s in self.severities
                if not self.output(c, s, source.relpath).exists()]
        existing = len(self.corruptions) * len(self.severities) - len(todo)
        if not todo:
            return SourceOutcome(source.relpath, existing=existing)
        try:
            clean = load_clean_224(str(source.path))
        except UNREADABLE as error:
            return SourceOutcome(source.relpath, existing=existing, error=f"{type(error).__name__}: {error}")
        for corruption, severity in todo:
            image = corrupt(clean, corruption, severity, seed=self.seed_for(corruption, severity, source.relpath),
                            frost_dir=self.frost_dir)
            atomic_write(self.output(corruption, severity, source.relpath), encode_jpeg(image))
        return SourceOutcome(source.relpath, written=len(todo), existing=existing)

    def settings(self) -> dict[str, object]:
        return {"generator": "make-c", "seed": self.seed, "engine": "numpy", "jpeg_quality": JPEG_QUALITY,
                "constants_version": CONSTANTS_VERSION}

    def manifest_entries(self) -> Iterator[tuple[str, dict[str, object]]]:
        """Every output present under dst for the known corruptions, in sorted order."""
        for corruption in sorted(c for c in ALL_CORRUPTIONS if (self.dst / c).is_dir()):
            for severity in SEVERITIES:
                level = self.dst / corruption / str(severity)
                for path in sorted(level.glob("*/*")) if level.is_dir() else ():
                    if path.name.startswith("."):
                        continue
                    relpath = path.relative_to(level).as_posix()
                    yield (f"{corruption}/{severity}/{relpath}",
                           {"sha256": sha256_file(path), "seed": self.seed_for(corruption, severity, relpath)})

    def run(self, workers: int = 0, progress: Callable[[SourceOutcome], None] | None = None) -> Summary:
        summary = generate(self.dst, self.settings(), self.process, iter_sources(self.src), workers, progress)
        header = {"generator": "make-c", "cpbench_version": evaluators.__version__,
                  "constants_version": CONSTANTS_VERSION, "seed": self.seed, "engine": "numpy",
                  "jpeg_quality": JPEG_QUALITY, "jpeg_optimize": True, "preprocessing": "Resize(256)+CenterCrop(224)",
                  "seed_rule": "derive_seed(seed, corruption, severity, '<wnid>/<file>')",
                  "skipped_sources": summary.skipped_sources()}
        summary.manifest_files = write_manifest(self.dst / "manifest.json", header, self.manifest_entries())
        return summary
