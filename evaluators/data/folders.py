"""Scanning dataset folders into labelled samples, in a stable order, with the problems found on the way.

Layouts (spec imagenet_cp.md §1.4, §2, §3): ImageNet-C `<root>/<corruption>/<severity>/<wnid>/*.JPEG`,
clean validation `<root>/<wnid>/*`, ImageNet-P `<root>/<perturbation>[_2|_3]/<wnid>/*.mp4`. As torchvision's
ImageFolder, files are found recursively below each class folder and filtered by extension; unlike it, labels
come from the model's class list, and files it cannot label are reported instead of silently dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from evaluators.benchmarks import perturbation_folder
from evaluators.data.classes import ClassList
from evaluators.errors import DatasetError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")  # ImageFolder's
VIDEO_EXTENSIONS = (".mp4",)


@dataclass(frozen=True, slots=True)
class Sample:
    relpath: str  # "<wnid>/<file>", relative to the scanned folder, always with "/"
    label: int
    size: int  # bytes


@dataclass(frozen=True)
class Folder:
    """The usable samples of one scanned folder and the files it could not use (relpath -> reason)."""

    path: Path
    prefix: str  # the folder relative to its dataset root ("fog/3/"), so manifests name the data exactly
    samples: tuple[Sample, ...]
    problems: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.samples)


def _entries(path: str) -> list[os.DirEntry[str]]:
    with os.scandir(path) as it:
        return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)


def _files(path: str, relpath: str, extensions: tuple[str, ...]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    for entry in _entries(path):
        child = f"{relpath}/{entry.name}"
        if entry.is_dir():
            yield from _files(entry.path, child, extensions)
        elif entry.name.lower().endswith(extensions):
            yield child, entry


def scan_folder(path: str | Path, classes: ClassList, extensions: tuple[str, ...] = IMAGE_EXTENSIONS,
                prefix: str = "") -> Folder:
    """Every `<class folder>/**/<file>` with a known extension below `path`, labelled by `classes`."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: folder does not exist")
    samples: list[Sample] = []
    problems: dict[str, str] = {}
    for top in _entries(str(path)):
        if not top.is_dir():
            if top.name.lower().endswith(extensions):
                problems[top.name] = "not inside a class folder"
            continue
        label = classes.label(top.name)
        for relpath, entry in _files(top.path, top.name, extensions):
            try:
                size = entry.stat().st_size
            except OSError:
                problems[relpath] = "missing (broken link)"
                continue
            if label is None:
                problems[relpath] = f"folder {top.name!r} is not one of the model's {len(classes)} classes"
            elif size == 0:
                problems[relpath] = "unreadable: empty file"
            else:
                samples.append(Sample(relpath, label, size))
    if not samples and not problems:
        kinds = "/".join(e.lstrip(".") for e in extensions)
        raise DatasetError(f"{path}: no {kinds} files found in class subfolders (<wnid>/<file>)")
    return Folder(path, prefix, tuple(samples), problems)


def imagenet_c_folder(root: str | Path, corruption: str, severity: int, classes: ClassList) -> Folder:
    return scan_folder(Path(root) / corruption / str(severity), classes, prefix=f"{corruption}/{severity}/")


def clean_folder(root: str | Path, classes: ClassList) -> Folder:
    return scan_folder(root, classes)


def imagenet_p_folder(root: str | Path, perturbation: str, difficulty: int, classes: ClassList) -> Folder:
    folder = perturbation_folder(perturbation, difficulty)
    return scan_folder(Path(root) / folder, classes, VIDEO_EXTENSIONS, prefix=f"{folder}/")
