"""Every torchvision classification model by its torchvision name, built with weights=None (cpbench never
downloads weights). Preprocessing and minimum input size come from torchvision's weight metadata."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torchvision
from torch import nn
from torchvision.models import Weights, get_model, get_model_weights, list_models

from evaluators.data.preprocessing import Preprocessing


def torchvision_names() -> list[str]:
    return list_models(module=torchvision.models)


def torchvision_builder(name: str) -> Callable[..., nn.Module]:
    return partial(get_model, name, weights=None)


def _matching_weights(name: str) -> Weights:
    # The first weights of the smallest input size describe the architecture weights=None builds
    # (vit_h_14's default weights, for one, are for a 518-pixel variant).
    return min(get_model_weights(name), key=lambda weights: weights.meta["min_size"])


def torchvision_preprocessing(name: str) -> Preprocessing:
    transforms = _matching_weights(name).transforms()
    return Preprocessing(tuple(transforms.mean), tuple(transforms.std), transforms.resize_size[0],
                         transforms.crop_size[0])


def torchvision_min_input_size(name: str) -> int:
    return max(_matching_weights(name).meta["min_size"])
