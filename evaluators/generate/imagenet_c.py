"""`make-c`: an ImageNet-style folder -> `<dst>/<corruption>/<severity>/<wnid>/<file>` JPEGs, as the release.

Each source goes through PIL RGB, Resize(256), CenterCrop(224) exactly as the reference, then every
requested (corruption, severity) with the seed derive_seed(run seed, corruption, severity, relative path),
and is saved as JPEG quality 85 with optimize on (the release's format) under its original file name.

Two engines: the numpy reference path, one source per worker process; or, given a torch device, the batched
torch path (`corrupt_batch` with one seed per image, so a file's bytes do not depend on its batch), sources
decoded by a thread pool. Their random fields differ (torch's draws, not NumPy's), so a destination is pinned
to the engine and device type that started it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from evaluators.generate.sources import UNREADABLE, Source, in_batches, iter_sources
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
    device: str | None = None  # a torch device for the batched path; None: the numpy reference path
    batch_size: int = 64

    def __post_init__(self) -> None:
        unknown = [c for c in self.corruptions if c not in ALL_CORRUPTIONS]
        if unknown or not self.corruptions:
            raise InvalidInputError(f"unknown corruption {', '.join(map(repr, unknown))}; "
                                    f"known: {', '.join(ALL_CORRUPTIONS)}" if unknown else "no corruptions chosen")
        bad = [s for s in self.severities if s not in SEVERITIES]
        if bad or not self.severities:
            raise InvalidInputError(f"severities must be in 1..5, got {list(self.severities)}")
        if self.batch_size < 1:
            raise InvalidInputError(f"batch size must be >= 1, got {self.batch_size}")
        if self.dst.resolve().is_relative_to(self.src.resolve()):
            raise InvalidInputError(f"destination {self.dst} lies inside the source folder {self.src}")

    def output(self, corruption: str, severity: int, relpath: str) -> Path:
        return self.dst / corruption / str(severity) / relpath

    def seed_for(self, corruption: str, severity: int, relpath: str) -> int:
        return derive_seed(self.seed, corruption, severity, relpath)

    def missing(self, source: Source) -> list[tuple[str, int]]:
        return [(c, s) for c in self.corruptions for s in self.severities
                if not self.output(c, s, source.relpath).exists()]

    def load(self, source: Source) -> np.ndarray | str:
        """The clean 224 input, or why the source is unreadable."""
        try:
            return load_clean_224(str(source.path))
        except UNREADABLE as error:
            return f"{type(error).__name__}: {error}"

    def process(self, source: Source) -> SourceOutcome:
        """All missing outputs of one source image; an unreadable source is reported, never raised."""
        todo = self.missing(source)
        existing = len(self.corruptions) * len(self.severities) - len(todo)
        if not todo:
            return SourceOutcome(source.relpath, existing=existing)
        clean = self.load(source)
        if isinstance(clean, str):
            return SourceOutcome(source.relpath, existing=existing, error=clean)
        for corruption, severity in todo:
            image = corrupt(clean, corruption, severity, seed=self.seed_for(corruption, severity, source.relpath),
                            frost_dir=self.frost_dir)
            atomic_write(self.output(corruption, severity, source.relpath), encode_jpeg(image))
        return SourceOutcome(source.relpath, written=len(todo), existing=existing)

    def process_batch(self, sources: tuple[Source, ...], pool: ThreadPoolExecutor) -> list[SourceOutcome]:
        """The batched engine on a batch of sources: one corrupt_batch call per (corruption, severity)."""
        import torch

        from evaluators.corruptions import corrupt_batch

        todo = [self.missing(source) for source in sources]
        cleans = list(pool.map(self.load, [src for src, t in zip(sources, todo, strict=True) if t]))
        loaded = iter(cleans)
        images = {i: next(loaded) for i, t in enumerate(todo) if t}
        for corruption in self.corruptions:
            for severity in self.severities:
                members = [i for i, t in enumerate(todo) if (corruption, severity) in t
                           and not isinstance(images[i], str)]
                if not members:
                    continue
                x = torch.from_numpy(np.stack([images[i] for i in members])).permute(0, 3, 1, 2).to(self.device)
                seeds = [self.seed_for(corruption, severity, sources[i].relpath) for i in members]
                out = corrupt_batch(x, corruption, severity, seeds, frost_dir=self.frost_dir)
                out = out.permute(0, 2, 3, 1).contiguous().cpu().numpy()
                paths = [self.output(corruption, severity, sources[i].relpath) for i in members]
                list(pool.map(lambda pair: atomic_write(pair[0], encode_jpeg(pair[1])), zip(paths, out, strict=True)))
        total = len(self.corruptions) * len(self.severities)
        return [SourceOutcome(source.relpath, existing=total - len(t), error=images[i])
                if isinstance(images.get(i), str) else
                SourceOutcome(source.relpath, written=len(t), existing=total - len(t))
                for i, (source, t) in enumerate(zip(sources, todo, strict=True))]

    @property
    def engine(self) -> str:
        if self.device is None:
            return "numpy"
        import torch

        return f"torch-{torch.device(self.device).type}"  # CPU and CUDA generators draw different numbers

    def settings(self) -> dict[str, object]:
        return {"generator": "make-c", "seed": self.seed, "engine": self.engine, "jpeg_quality": JPEG_QUALITY,
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
        """workers: processes for the numpy engine; decoding and encoding threads for the batched one."""
        if self.device is None:
            summary = generate(self.dst, self.settings(), self.process, iter_sources(self.src), workers, progress)
        else:
            with ThreadPoolExecutor(max(1, workers)) as pool:
                summary = generate(self.dst, self.settings(), lambda b: self.process_batch(b, pool),
                                   in_batches(iter_sources(self.src), self.batch_size), 0, progress)
        header = {"generator": "make-c", "cpbench_version": evaluators.__version__,
                  "constants_version": CONSTANTS_VERSION, "seed": self.seed, "engine": self.engine,
                  "jpeg_quality": JPEG_QUALITY, "jpeg_optimize": True, "preprocessing": "Resize(256)+CenterCrop(224)",
                  "seed_rule": "derive_seed(seed, corruption, severity, '<wnid>/<file>')",
                  "skipped_sources": summary.skipped_sources()}
        summary.manifest_files = write_manifest(self.dst / "manifest.json", header, self.manifest_entries())
        return summary
