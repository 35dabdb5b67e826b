"""Real photos that ship with scikit-image and scikit-learn, cut into small ImageNet-style folders.

Used by the tests, the benchmarks and the README quickstart, so everything runs without ImageNet. Each
photo stands for one ImageNet class (a plausible wnid); variants are random crops and flips of it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

# photo -> (file, the ImageNet class it stands for); files of skimage.data, or of sklearn's sample images.
PHOTOS: dict[str, tuple[str, str]] = {
    "chelsea": ("chelsea.png", "n02123045"),  # tabby cat
    "coffee": ("coffee.png", "n07920052"),  # espresso
    "rocket": ("rocket.jpg", "n04008634"),  # projectile, missile
    "astronaut": ("astronaut.png", "n04266014"),  # space shuttle
    "china": ("china.jpg", "n03877845"),  # palace (scikit-learn)
    "flower": ("flower.jpg", "n11939491"),  # daisy (scikit-learn)
    "hubble_deep_field": ("hubble_deep_field.jpg", "n03956157"),  # planetarium
    "motorcycle": ("motorcycle_left.png", "n03785016"),  # moped
}
PHOTO_CLASSES: dict[str, str] = {name: wnid for name, (_, wnid) in PHOTOS.items()}


@cache
def _load(name: str) -> np.ndarray:
    file = PHOTOS[name][0]
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image  # scikit-learn is a test/bench extra

        return load_sample_image(file)
    import skimage.data  # read the bundled file directly: skimage's loaders may try to download

    with Image.open(Path(skimage.data.__file__).parent / file) as image:
        return np.asarray(image.convert("RGB"))


def photo(name: str) -> np.ndarray:
    """One photo as uint8 H x W x 3 (read-only; copy before writing)."""
    if name not in PHOTOS:
        raise KeyError(f"unknown sample photo {name!r}; known: {', '.join(PHOTOS)}")
    image = _load(name)
    image.flags.writeable = False
    return image


def photo_variant(name: str, rng: np.random.Generator, min_side: int = 256, max_side: int = 320) -> Image.Image:
    """A random crop (35-100 % of the area, aspect 3:4-4:3), maybe mirrored, resized so that its shorter
    side lies in [min_side, max_side]: like an ImageNet validation photo of that class."""
    image = photo(name)
    h, w = image.shape[:2]
    area = rng.uniform(0.35, 1.0) * h * w
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    ch = int(min(h, round(np.sqrt(area / aspect))))
    cw = int(min(w, round(np.sqrt(area * aspect))))
    top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = image[top : top + ch, left : left + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    side = int(rng.integers(min_side, max_side + 1))
    scale = side / min(ch, cw)
    size = (max(side, round(cw * scale)), max(side, round(ch * scale)))
    return Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.Resampling.BILINEAR)


def write_sample_folder(root: str | Path, per_class: int, seed: int = 0,
                        photos: tuple[str, ...] = tuple(PHOTO_CLASSES), quality: int = 90) -> list[Path]:
    """Writes an ImageNet-style validation folder `<root>/<wnid>/<photo>_<i>.JPEG`; returns the files."""
    rng = np.random.default_rng(seed)
    files = []
    for name in photos:
        folder = Path(root) / PHOTO_CLASSES[name]
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            path = folder / f"{name}_{i:05d}.JPEG"
            photo_variant(name, rng).save(path, format="JPEG", quality=quality)
            files.append(path)
    return files
