"""Small datasets in the ImageNet-C and ImageNet-P layouts, made from the sample photos, for the tests, the
benchmarks and the quickstart: real photographs, real corruptions, the release's file formats.

ImageNet-C: a validation-style folder of the photos through `make-c` (Resize(256) + CenterCrop(224), the
real corruptions, JPEG quality 85 with optimize on). ImageNet-P: H.264 clips of 224 x 224 frames at
`<root>/<folder>/<wnid>/<name>.mp4` that are cheap to make: a slow pan across the photo for the ordinary
folders, and for noise folders (`<name>`, `<name>_2`, `<name>_3`) the clean first frame then noisy copies of
it, as the release has them (spec imagenet_cp.md §3). They stand in for the perturbations in tests and
benchmarks of the reader and the runner; `make-p` makes the real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evaluators.benchmarks import is_noise_perturbation, perturbation_folder
from evaluators.data.sample_photos import PHOTO_CLASSES, photo_variant, write_sample_folder
from evaluators.data.transforms import CROP, resize_shorter
from evaluators.generate.atomic import atomic_write
from evaluators.generate.h264 import encode_h264, x264_options
from evaluators.seeding import derive_seed

NOISE_SIGMA = {1: 0.03, 2: 0.05, 3: 0.08}  # by difficulty, as the release's gaussian_noise clips


def write_sample_imagenet_c(root: str | Path, corruptions: Sequence[str], severities: Sequence[int],
                            per_class: int, seed: int = 0, photos: tuple[str, ...] = tuple(PHOTO_CLASSES),
                            val_dir: str | Path | None = None, workers: int = 0) -> list[Path]:
    """Writes the corrupted JPEGs (and, with `val_dir`, the clean validation folder they come from); `workers`
    as `MakeC.run`'s."""
    from evaluators.generate.imagenet_c import MakeC  # the corruptions load scipy and OpenCV: clips never need them

    val = Path(val_dir) if val_dir is not None else Path(root) / ".val"
    write_sample_folder(val, per_class, seed, photos)
    MakeC(val, Path(root), tuple(corruptions), tuple(severities), seed).run(workers)
    return sorted(p for c in corruptions for s in severities for p in (Path(root) / c / str(s)).glob("*/*"))


def sample_clip(name: str, rng: np.random.Generator, frames: int, noise_sigma: float | None) -> np.ndarray:
    """uint8 frames x 224 x 224 x 3 of one photo variant."""
    image = np.asarray(resize_shorter(photo_variant(name, rng)))
    h, w = image.shape[:2]
    top = (h - CROP) // 2
    if noise_sigma is None:  # pan: the crop window moves across the image, at most 2 px a frame
        step = max(0, min(2, (w - CROP) // max(frames - 1, 1)))
        return np.stack([image[top : top + CROP, i * step : i * step + CROP] for i in range(frames)])
    left = (w - CROP) // 2
    clean = image[top : top + CROP, left : left + CROP] / 255.0
    noisy = [np.clip(clean + rng.normal(0.0, noise_sigma, clean.shape), 0, 1) for _ in range(frames - 1)]
    return np.uint8(np.stack([clean, *noisy]) * 255)


def write_clip(path: str | Path, frames: np.ndarray) -> None:
    """An H.264 clip as `make-p` encodes it (crf 20, 1 frame per second)."""
    atomic_write(Path(path), encode_h264(frames, x264_options(grain=False, preset="medium")))


def write_sample_imagenet_p(root: str | Path, perturbations: Sequence[str], per_class: int, frames: int = 31,
                            difficulties: Sequence[int] = (1,), seed: int = 0,
                            photos: tuple[str, ...] = tuple(PHOTO_CLASSES)) -> list[Path]:
    """Writes `per_class` clips per photo class for every perturbation folder (noise ones per difficulty)."""
    files = []
    for perturbation in perturbations:
        noise = is_noise_perturbation(perturbation)
        for difficulty in difficulties if noise else (1,):
            folder = perturbation_folder(perturbation, difficulty)
            rng = np.random.default_rng(derive_seed(seed, folder))
            for name in photos:
                for i in range(per_class):
                    clip = sample_clip(name, rng, frames, NOISE_SIGMA[difficulty] if noise else None)
                    path = Path(root) / folder / PHOTO_CLASSES[name] / f"{name}_{i:05d}.mp4"
                    write_clip(path, clip)
                    files.append(path)
    return files
