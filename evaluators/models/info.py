"""What the service and the CLI need to know about a model without building it for real."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from evaluators.data.preprocessing import Preprocessing
from evaluators.models.gcp_head import CovariancePooling
from evaluators.models.torchvision_models import torchvision_min_input_size
from evaluators.models.zoo import ZOO, Pooling, build_shapes_only, resolve


@dataclass(frozen=True)
class ModelInfo:
    name: str
    aliases: tuple[str, ...]
    family: str
    pooling: Pooling
    gcp_dim: int | None
    preprocessing: Preprocessing
    # Smallest square input side the model accepts; for GCP models the one whose final map is at least 2×2.
    min_input_size: int
    num_params: int  # with 1000 classes
    in_zoo: bool


@cache
def _model_info(canonical: str) -> ModelInfo:
    name, spec = resolve(canonical)
    model = build_shapes_only(spec)
    if spec.pooling == "gcp":
        min_input_size = next(m.min_input_size for m in model.modules() if isinstance(m, CovariancePooling))
    else:
        min_input_size = torchvision_min_input_size(name)
    return ModelInfo(name=name, aliases=spec.aliases, family=spec.family, pooling=spec.pooling,
                     gcp_dim=spec.gcp_dim, preprocessing=spec.preprocessing, min_input_size=min_input_size,
                     num_params=sum(p.numel() for p in model.parameters()), in_zoo=name in ZOO)


def model_info(name: str) -> ModelInfo:
    """Metadata of a zoo name, alias or torchvision name (parameters counted on the meta device)."""
    return _model_info(resolve(name)[0])
