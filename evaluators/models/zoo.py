"""The model registry (as timm does it): the paper's GAP/GCP zoo by name and alias, then every other torchvision
classification model by its torchvision name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

from evaluators.data.preprocessing import Preprocessing
from evaluators.errors import InvalidInputError, UnknownNameError
from evaluators.models.mobilenet_v2_gcp import MobileNetV2GCP
from evaluators.models.resnet_gcp import ResNetGCP
from evaluators.models.shufflenet_v2_gcp import ShuffleNetV2GCP
from evaluators.models.torchvision_models import torchvision_builder, torchvision_names, torchvision_preprocessing
from evaluators.registry import Registry

Pooling = Literal["gap", "gcp", "other"]


@dataclass(frozen=True)
class ModelSpec:
    """How to build one architecture. `build(num_classes=…)` (GCP: also `dim=…`) gives a random init.
    `family` names the backbone: a GAP model and its GCP twins share it."""

    build: Callable[..., nn.Module]
    family: str
    pooling: Pooling
    gcp_dim: int | None = None
    aliases: tuple[str, ...] = ()
    # The paper's evaluation protocol: Resize(256), CenterCrop(224), ImageNet mean/std.
    preprocessing: Preprocessing = field(default_factory=Preprocessing)


ZOO: Registry[ModelSpec] = Registry("model")
TORCHVISION: Registry[ModelSpec] = Registry("torchvision model")

_RESNETS = {
    "resnet18": (BasicBlock, [2, 2, 2, 2]),
    "resnet34": (BasicBlock, [3, 4, 6, 3]),
    "resnet50": (Bottleneck, [3, 4, 6, 3]),
    "resnet101": (Bottleneck, [3, 4, 23, 3]),
}
_SHUFFLENET_V2_X1_0 = ([4, 8, 4], [24, 116, 232, 464, 1024])


def _add(name: str, spec: ModelSpec) -> None:
    ZOO.add(name, spec, spec.aliases)


def _add_gap(name: str) -> None:
    _add(name, ModelSpec(torchvision_builder(name), family=name, pooling="gap"))


def _add_gcp(name: str, family: str, build: Callable[..., nn.Module], dim: int, alias: str) -> None:
    _add(name, ModelSpec(partial(build, dim=dim), family=family, pooling="gcp", gcp_dim=dim, aliases=(alias,)))


# GAP/GCP twins side by side; the aliases are the paper's `arch` names (gcp.md §6).
for _name, (_block, _layers) in _RESNETS.items():
    _add_gap(_name)
    _add_gcp(f"{_name}_gcp", _name, partial(ResNetGCP, _block, _layers), 256, f"{_name}_mpncov")
    if _name == "resnet50":
        _add_gcp("resnet50_gcp_128", _name, partial(ResNetGCP, _block, _layers), 128, "resnet50_mpncov_128")
_add_gap("mobilenet_v2")
_add_gcp("mobilenet_v2_gcp", "mobilenet_v2", MobileNetV2GCP, 256, "mobilenet_v2_mpncov")
_add_gcp("mobilenet_v2_gcp_128", "mobilenet_v2", MobileNetV2GCP, 128, "mobilenet_v2_mpncov_128")
_add_gap("shufflenet_v2_x1_0")
_add_gcp("shufflenet_v2_x1_0_gcp", "shufflenet_v2_x1_0", partial(ShuffleNetV2GCP, *_SHUFFLENET_V2_X1_0), 256,
         "shufflenet_v2_mpncov_x1_0")

for _name in torchvision_names():
    if _name not in ZOO:
        TORCHVISION.add(_name, ModelSpec(torchvision_builder(_name), family=_name, pooling="other",
                                         preprocessing=torchvision_preprocessing(_name)))


def list_models(torchvision: bool = False) -> list[str]:
    """The zoo's canonical names; with `torchvision`, followed by every other torchvision classifier."""
    return ZOO.names() + (TORCHVISION.names() if torchvision else [])


def resolve(name: str) -> tuple[str, ModelSpec]:
    """Canonical name and spec of a zoo name, alias or torchvision name."""
    for registry in (ZOO, TORCHVISION):
        if name in registry:
            return registry.canonical(name), registry.get(name)
    raise UnknownNameError(
        f"unknown model {name!r}; the zoo has {', '.join(ZOO.names())}, and every torchvision classification "
        "model works by its torchvision name (see `cpbench models --all`)"
    )


def build(spec: ModelSpec, num_classes: int = 1000, gcp_dim: int | None = None) -> nn.Module:
    """A randomly initialised model; `gcp_dim` overrides a GCP model's d (a checkpoint's, say)."""
    if num_classes < 1:
        raise InvalidInputError(f"num_classes must be at least 1, got {num_classes}")
    if spec.pooling == "gcp":
        return spec.build(num_classes=num_classes, dim=gcp_dim or spec.gcp_dim)
    return spec.build(num_classes=num_classes)


def build_shapes_only(spec: ModelSpec, num_classes: int = 1000, gcp_dim: int | None = None) -> nn.Module:
    """The model on the meta device (no memory, no init) for shapes and counts. RegNet's constructor computes
    with tensors, which meta cannot, so it falls back to a real build."""
    try:
        with torch.device("meta"):
            return build(spec, num_classes, gcp_dim)
    except NotImplementedError:
        return build(spec, num_classes, gcp_dim)
