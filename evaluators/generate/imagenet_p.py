"""`make-p`: an ImageNet-style folder -> `<dst>/<perturbation>[_<d>]/<wnid>/<name>.mp4` clips, as the release.

Each source goes through PIL RGB and Resize(256) exactly as the reference, then every requested perturbation
sequence (noise perturbations at each requested difficulty; the others have one sequence), drawn from
`numpy.random.default_rng(derive_seed(run seed, perturbation, difficulty, relative path))`, and is encoded as
H.264 with the reference's ffmpeg options under the source's name without its extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

import evaluators
from evaluators.benchmarks import ALL_PERTURBATIONS, DIFFICULTIES, is_noise_perturbation, perturbation_folder
from evaluators.data.transforms import resize_shorter
from evaluators.errors import InvalidInputError
from evaluators.generate.atomic import atomic_write
from evaluators.generate.driver import generate
from evaluators.generate.h264 import CRF, PIXEL_FORMAT, PRESET, encode_h264, x264_options
from evaluators.generate.manifest import sha256_file, write_manifest
from evaluators.generate.sources import UNREADABLE, Source, iter_sources
from evaluators.generate.summary import SourceOutcome, Summary
from evaluators.perturbations import CONSTANTS_VERSION, frame_count, sequence
from evaluators.seeding import derive_seed

# x264's presets, fastest to slowest: all write valid clips of the same quality target; slower ones compress
# better (the reference used veryslow).
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo")


def load_resized(path: Path) -> np.ndarray:
    """A photo as the reference's ImageNet-P blocks take it: RGB, Resize(256); uint8 H×W×3."""
    with Image.open(path) as image:
        return np.asarray(resize_shorter(image))


def clip_name(relpath: str) -> str:
    """`<wnid>/<name>.mp4` of a source `<wnid>/<name>.<ext>` (the reference drops the extension)."""
    wnid, name = relpath.split("/", 1)
    return f"{wnid}/{Path(name).stem}.mp4"


def claimed_sources(src: Path) -> Iterator[tuple[Source, str | None]]:
    """Every source with the earlier source of its class whose clip name it would reuse (x.JPEG and x.png
    both make x.mp4), or None: the first one in sorted order keeps the name."""
    owners: dict[str, str] = {}  # clip name -> source, within the current class folder
    current = None
    for source in iter_sources(src):
        wnid = source.relpath.split("/", 1)[0]
        if wnid != current:
            owners, current = {}, wnid
        owner = owners.setdefault(clip_name(source.relpath), source.relpath)
        yield source, None if owner == source.relpath else owner


@dataclass(frozen=True)
class MakeP:
    src: Path
    dst: Path
    perturbations: tuple[str, ...]
    difficulties: tuple[int, ...] = (1,)
    seed: int = 0
    preset: str = PRESET

    def __post_init__(self) -> None:
        unknown = [p for p in self.perturbations if p not in ALL_PERTURBATIONS]
        if unknown or not self.perturbations:
            raise InvalidInputError(f"unknown perturbation {', '.join(map(repr, unknown))}; "
                                    f"known: {', '.join(ALL_PERTURBATIONS)}" if unknown else "no perturbations chosen")
        if not self.difficulties or any(d not in DIFFICULTIES for d in self.difficulties):
            raise InvalidInputError(f"difficulties must be in 1..3, got {list(self.difficulties)}")
        if self.preset not in PRESETS:
            raise InvalidInputError(f"unknown x264 preset {self.preset!r}; known: {', '.join(PRESETS)}")
        if self.dst.resolve().is_relative_to(self.src.resolve()):
            raise InvalidInputError(f"destination {self.dst} lies inside the source folder {self.src}")

    def sequences(self) -> list[tuple[str, int]]:
        """(perturbation, difficulty) of every folder: noise ones at each difficulty, the others once."""
        return [(p, d) for p in self.perturbations
                for d in (sorted(set(self.difficulties)) if is_noise_perturbation(p) else (1,))]

    def output(self, perturbation: str, difficulty: int, relpath: str) -> Path:
        return self.dst / perturbation_folder(perturbation, difficulty) / clip_name(relpath)

    def seed_for(self, perturbation: str, difficulty: int, relpath: str) -> int:
        return derive_seed(self.seed, perturbation, difficulty, relpath)

    def process(self, claimed: tuple[Source, str | None]) -> SourceOutcome:
        """All missing clips of one source; an unreadable source is reported, never raised."""
        source, owner = claimed
        if owner is not None:
            return SourceOutcome(source.relpath, error=f"its clip name is taken by {owner}")
        todo = [(p, d) for p, d in self.sequences() if not self.output(p, d, source.relpath).exists()]
        existing = len(self.sequences()) - len(todo)
        if not todo:
            return SourceOutcome(source.relpath, existing=existing)
        try:
            image = load_resized(source.path)
        except UNREADABLE as error:
            return SourceOutcome(source.relpath, existing=existing, error=f"{type(error).__name__}: {error}")
        for perturbation, difficulty in todo:
            rng = np.random.default_rng(self.seed_for(perturbation, difficulty, source.relpath))
            frames = sequence(image, perturbation, difficulty, seed=rng)
            clip = encode_h264(frames, x264_options(is_noise_perturbation(perturbation), self.preset))
            atomic_write(self.output(perturbation, difficulty, source.relpath), clip)
        return SourceOutcome(source.relpath, written=len(todo), existing=existing)

    def settings(self) -> dict[str, object]:
        """What determines the clips' bytes (a resumed run must match)."""
        return {"generator": "make-p", "seed": self.seed, "engine": "numpy", "rng": "numpy.random.default_rng",
                "constants_version": CONSTANTS_VERSION, "codec": "libx264", "pixel_format": PIXEL_FORMAT,
                "preset": self.preset, "crf": CRF, "noise_tune": "grain"}

    def manifest_entries(self) -> Iterator[tuple[str, dict[str, object]]]:
        """Every clip of the current sources present under dst, by folder, then in source order."""
        for perturbation, difficulty in self.sequences():
            folder = perturbation_folder(perturbation, difficulty)
            for source, owner in claimed_sources(self.src):
                path = self.output(perturbation, difficulty, source.relpath)
                if owner is None and path.is_file():
                    seed = self.seed_for(perturbation, difficulty, source.relpath)
                    yield (f"{folder}/{clip_name(source.relpath)}",
                           {"sha256": sha256_file(path), "seed": seed, "source": source.relpath})

    def run(self, workers: int = 0, progress: Callable[[SourceOutcome], None] | None = None) -> Summary:
        summary = generate(self.dst, self.settings(), self.process, claimed_sources(self.src), workers, progress)
        header = {**self.settings(), "cpbench_version": evaluators.__version__,
                  "preprocessing": "Resize(256); each sequence's own CenterCrop(224)", "frame_rate": 1,
                  "frames": {p: frame_count(p) for p in self.perturbations},
                  "libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
                  "seed_rule": "numpy.random.default_rng(derive_seed(seed, perturbation, difficulty, '<wnid>/<file>'))",
                  "skipped_sources": summary.skipped_sources()}
        summary.manifest_files = write_manifest(self.dst / "manifest.json", header, self.manifest_entries())
        return summary
