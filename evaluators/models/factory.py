"""create_model: a zoo or torchvision architecture, randomly initialised or loaded from a checkpoint."""

from __future__ import annotations

import os
from collections.abc import Mapping

import torch
from torch import nn

from evaluators.models.checkpoints import read_checkpoint, unwrap_state_dict
from evaluators.models.compatibility import check_state_dict
from evaluators.models.zoo import build, resolve


def create_model(name: str, num_classes: int = 1000,
                 checkpoint: str | os.PathLike[str] | Mapping[str, torch.Tensor] | None = None) -> nn.Module:
    """The model `name` (zoo name, the paper's arch alias or torchvision name) in train mode. A checkpoint (file
    or state dict, wrapped or not) is checked against the architecture first, then loaded strictly; a GCP
    model takes its d from the checkpoint's classifier."""
    _, spec = resolve(name)
    if checkpoint is None:
        return build(spec, num_classes)
    if isinstance(checkpoint, Mapping):
        tensors, metadata = unwrap_state_dict(checkpoint, "state dict")
    else:
        loaded = read_checkpoint(checkpoint)
        tensors, metadata = loaded.tensors, loaded.metadata
    report = check_state_dict(name, tensors, num_classes=num_classes, arch=metadata.get("arch"))
    model = build(spec, num_classes, report.gcp_dim)
    model.load_state_dict(tensors)
    return model
