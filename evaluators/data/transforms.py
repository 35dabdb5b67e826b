"""The reference's clean-image preprocessing: PIL RGB, torchvision Resize(256) then CenterCrop(224).

torchvision's functional ops on a PIL image are the exact reference (Pillow's antialiased bilinear resize,
shorter side to 256 with truncation of the longer side, crop offsets int(round(...))).
"""

from __future__ import annotations

import numpy as np
import torchvision.transforms.functional as TF
from PIL import Image

from evaluators.data.preprocessing import CROP, RESIZE


def to_rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")


def resize_shorter(image: Image.Image, size: int = RESIZE) -> Image.Image:
    """torchvision Resize(size) on a PIL image (bilinear)."""
    return TF.resize(to_rgb(image), size, interpolation=TF.InterpolationMode.BILINEAR)


def resize_center_crop(image: Image.Image, resize: int = RESIZE, crop: int = CROP) -> Image.Image:
    """Resize(256) + CenterCrop(224): the clean validation protocol and the input of every corruption."""
    return TF.center_crop(resize_shorter(image, resize), [crop, crop])


def load_clean_224(path: str) -> np.ndarray:
    """A photo file as the reference feeds it to a corruption: uint8 224 x 224 x 3."""
    with Image.open(path) as image:
        return np.asarray(resize_center_crop(image))
