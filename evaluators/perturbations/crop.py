"""torchvision's CenterCrop(224) on the Resize(256) image, which every ImageNet-P block applies last."""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

ArrayLike = TypeVar("ArrayLike", np.ndarray, torch.Tensor)

CROP = 224


def crop_origin(width: int, height: int) -> tuple[int, int]:
    """(left, top) of the crop: int(round((size − 224) / 2)), Python's round (half to even)."""
    return round((width - CROP) / 2), round((height - CROP) / 2)


def center_crop(image: ArrayLike) -> ArrayLike:
    """The centre 224×224 of an H×W(×C) array or tensor (a view)."""
    left, top = crop_origin(image.shape[1], image.shape[0])
    return image[top : top + CROP, left : left + CROP]
