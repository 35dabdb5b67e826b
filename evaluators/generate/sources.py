"""Walking an ImageNet-style source folder `<wnid>/<file>` in a stable order, without holding it in memory."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from PIL import Image

from evaluators.errors import DatasetError

# What opening and decoding a source image raises when the file is not a usable image: the generators list
# such sources and go on.
UNREADABLE: tuple[type[Exception], ...] = (OSError, ValueError, Image.DecompressionBombError)


@dataclass(frozen=True)
class Source:
    path: Path
    relpath: str  # "<wnid>/<file name>", always with "/"


def _visible(entries: list[os.DirEntry[str]], dirs: bool) -> list[os.DirEntry[str]]:
    return sorted((e for e in entries if not e.name.startswith(".") and e.is_dir() == dirs), key=lambda e: e.name)


def class_folders(src: Path) -> list[os.DirEntry[str]]:
    if not src.is_dir():
        raise DatasetError(f"{src}: source folder does not exist")
    with os.scandir(src) as it:
        folders = _visible(list(it), dirs=True)
    if not folders:
        raise DatasetError(f"{src}: expected an ImageNet-style folder of class subfolders (<wnid>/<image>)")
    return folders


def iter_sources(src: Path) -> Iterator[Source]:
    """Every file under `src/<class>/`, classes and files in sorted order; one folder listed at a time."""
    for folder in class_folders(src):
        with os.scandir(folder.path) as it:
            files = _visible(list(it), dirs=False)
        for entry in files:
            yield Source(Path(entry.path), f"{folder.name}/{entry.name}")


def count_sources(src: Path) -> int:
    return sum(1 for _ in iter_sources(src))


def in_batches(sources: Iterable[Source], size: int) -> Iterator[tuple[Source, ...]]:
    """Consecutive batches of `size` sources (the last may be shorter); itertools.batched needs Python 3.12."""
    it = iter(sources)
    while batch := tuple(islice(it, size)):
        yield batch
