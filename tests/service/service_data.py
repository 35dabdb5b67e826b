"""Tiny real-photo datasets and random-init checkpoints for the service tests.

The checkpoints are random initialisations whose classifier bias favours the sample photos' classes, so the
counts are not all zero (top-5 mostly right, top-1 depending on the image): the numbers mean nothing about
robustness, they only make the plumbing visible.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from evaluators.benchmarks import CORRUPTIONS, PERTURBATIONS
from evaluators.data.classes import ClassList
from evaluators.data.sample_photos import PHOTO_CLASSES, photo, write_sample_folder
from evaluators.data.sample_sets import write_clip, write_sample_imagenet_c
from evaluators.data.transforms import resize_center_crop
from evaluators.models import create_model, save_safetensors

PHOTOS = ("chelsea", "coffee", "rocket", "flower")
CLASSIFIER = {"resnet18": "fc", "resnet18_gcp": "fc"}


def write_val(root: Path, per_class: int = 1, photos: tuple[str, ...] = PHOTOS) -> Path:
    write_sample_folder(root, per_class, seed=0, photos=photos)
    return root


def write_c_crops(root: Path, val: Path, corruptions: tuple[str, ...] = CORRUPTIONS,
                  severities: tuple[int, ...] = (1, 2, 3, 4, 5)) -> Path:
    """The ImageNet-C layout with the clean 224 crops standing in for every corruption (fast; the service
    only moves counts around, the corruptions themselves are tested in the library)."""
    for source in sorted(val.glob("*/*.JPEG")):
        with Image.open(source) as image:
            crop = resize_center_crop(image)
        for corruption in corruptions:
            for severity in severities:
                out = root / corruption / str(severity) / source.parent.name / source.name
                out.parent.mkdir(parents=True, exist_ok=True)
                crop.save(out, format="JPEG", quality=85, optimize=True)
    return root


def write_c_real(root: Path, val: Path, corruptions: tuple[str, ...], per_class: int = 1) -> Path:
    """Really corrupted images (the library's sample set), all five severities."""
    write_sample_imagenet_c(root, corruptions, (1, 2, 3, 4, 5), per_class, photos=PHOTOS, val_dir=val)
    return root


def write_p(root: Path, frames: int = 6) -> Path:
    """ImageNet-P layout (H.264 clips of 224 x 224 frames). Each clip alternates between its class's photo and
    another one: random-init networks predict nearly the same class for small changes, and the baseline's
    flip probability and top-5 distance must not be 0 (they divide)."""
    crops = {name: np.asarray(resize_center_crop(Image.fromarray(photo(name)))) for name in PHOTOS}
    for perturbation in PERTURBATIONS:
        for i, name in enumerate(PHOTOS[:2]):
            other = crops[PHOTOS[(i + 1) % len(PHOTOS)]]
            clip = np.stack([crops[name] if f % 2 == 0 else other for f in range(frames)])
            write_clip(root / perturbation / PHOTO_CLASSES[name] / f"{name}.mp4", clip)
    return root


def biased_state_dict(model: str, seed: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    state = create_model(model).state_dict()
    classes = ClassList.imagenet()
    bias = state[f"{CLASSIFIER[model]}.bias"]
    for wnid in PHOTO_CLASSES.values():
        index = classes.label(wnid)
        assert index is not None
        bias[index] += 8.0
    return state


def write_safetensors(path: Path, model: str, seed: int = 0) -> Path:
    save_safetensors(biased_state_dict(model, seed), path)
    return path


def write_paper_pickle(path: Path, model: str, arch: str, seed: int = 0) -> Path:
    """The paper's released layout: {"state_dict": {"module.…": …}, "arch": …, "epoch": …}."""
    state = {f"module.{key}": value for key, value in biased_state_dict(model, seed).items()}
    torch.save({"state_dict": state, "arch": arch, "epoch": 90, "best_acc1": 0.0}, path)
    return path


class _RunsCode:
    """Unpickling this would create `marker` (it never must)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def write_code_pickles(directory: Path, marker: Path) -> list[Path]:
    """A zip-based torch.save file and a legacy pickle, both of which would run a shell command if unpickled."""
    zipped = directory / "evil.pth"
    torch.save({"state_dict": {"fc.weight": torch.zeros(2)}, "payload": _RunsCode(marker)}, zipped)
    legacy = directory / "evil_legacy.pt"
    with legacy.open("wb") as file:
        pickle.dump({"state_dict": _RunsCode(marker)}, file, protocol=2)
    return [zipped, legacy]
