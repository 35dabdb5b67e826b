"""frost (spec imagenet_cp.md §1.3, §1.5): a random crop of one of the reference's frost photos blended in.

The textures are not cpbench's to redistribute, so they are found, in order, in: the `frost_dir` argument
(the CLI's --frost-dir), $CPBENCH_FROST_DIR, or the files of an installed distribution that ships them
(`imagecorruptions`, or the reference's `imagenet-c` package), located through its metadata without
importing it. Only frost1.png … frost5.jpg are needed: the reference draws randint(5), so frost6.jpg is
never used.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from evaluators.corruptions.registry import Context, register
from evaluators.corruptions.rng import randint
from evaluators.errors import MissingAssetError

FROST_FILES: tuple[str, ...] = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg")
FROST_ENV = "CPBENCH_FROST_DIR"
# (distribution name, folder of the textures inside it)
FROST_DISTRIBUTIONS: tuple[tuple[str, str], ...] = (("imagecorruptions", "imagecorruptions/frost"),
                                                    ("imagenet-c", "imagenet_c/frost"))
_HOW_TO_GET = (
    "pip install imagecorruptions (it ships them), or point CPBENCH_FROST_DIR / --frost-dir at a folder "
    f"holding {', '.join(FROST_FILES)} (ImageNet-C/create_c/ in hendrycks/robustness)"
)


class FrostParams(NamedTuple):
    image_weight: float
    frost_weight: float


def _missing(folder: Path) -> list[str]:
    return [name for name in FROST_FILES if not (folder / name).is_file()]


def _installed_frost_dir() -> Path | None:
    return _find_installed(FROST_DISTRIBUTIONS, tuple(sys.path))


@cache
def _find_installed(distributions: tuple[tuple[str, str], ...], search_path: tuple[str, ...]) -> Path | None:
    """Reading a distribution's file list costs milliseconds: done once per search path (the key)."""
    for dist_name, folder in distributions:
        try:
            files = metadata.distribution(dist_name).files or []
        except metadata.PackageNotFoundError:
            continue
        for file in files:
            if file.as_posix() == f"{folder}/{FROST_FILES[0]}":
                candidate = Path(str(file.locate())).parent.resolve()
                if not _missing(candidate):
                    return candidate
    return None


def resolve_frost_dir(frost_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder the frost textures are read from (see the module docstring for the order).

    An explicit folder, or $CPBENCH_FROST_DIR, that lacks a texture is an error, not skipped.
    """
    for source, value in (("frost_dir", frost_dir), (FROST_ENV, os.environ.get(FROST_ENV) or None)):
        if value is not None:
            folder = Path(value).expanduser()
            missing = _missing(folder)
            if missing:
                raise MissingAssetError(
                    f"frost textures not found: {source} {str(folder)!r} lacks {', '.join(missing)}; "
                    f"{_HOW_TO_GET}"
                )
            return folder.resolve()
    installed = _installed_frost_dir()
    if installed is not None:
        return installed
    raise MissingAssetError(f"the frost corruption needs the reference's frost textures: {_HOW_TO_GET}")


@cache
def _load_textures(folder: Path) -> tuple[np.ndarray, ...]:
    textures = []
    for name in FROST_FILES:
        bgr = cv2.imread(str(folder / name))  # as the reference: 8-bit BGR, alpha dropped
        if bgr is None:
            raise MissingAssetError(f"frost texture {folder / name} could not be decoded")
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        rgb.flags.writeable = False
        textures.append(rgb)
    return tuple(textures)


def frost_textures(frost_dir: str | os.PathLike[str] | None = None) -> tuple[np.ndarray, ...]:
    """frost1 … frost5 as uint8 RGB arrays (read once per folder, read-only)."""
    return _load_textures(resolve_frost_dir(frost_dir))


@register("frost", params=[FrostParams(*c) for c in ((1, 0.4), (0.8, 0.6), (0.7, 0.7), (0.65, 0.7), (0.6, 0.75))])
def frost(image: np.ndarray, p: FrostParams, ctx: Context) -> np.ndarray:
    texture = frost_textures(ctx.frost_dir)[randint(ctx.rng, len(FROST_FILES))]
    height, width = image.shape[:2]
    top = randint(ctx.rng, 0, texture.shape[0] - height)
    left = randint(ctx.rng, 0, texture.shape[1] - width)
    crop = texture[top : top + height, left : left + width]
    blend = p.image_weight * image + p.frost_weight * crop
    return np.clip(blend, 0, 255, out=blend)
