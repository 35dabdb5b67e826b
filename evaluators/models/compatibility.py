"""Does a state dict fit an architecture? Compared against the model built on the meta device, so a check
costs no memory and runs no initialisation; the result lists every missing, unexpected and misshapen key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import torch

from evaluators.errors import CheckpointError, UnknownNameError
from evaluators.models.checkpoints import unwrap_state_dict
from evaluators.models.gcp_head import dim_for_vector_length
from evaluators.models.zoo import ModelSpec, build_shapes_only, resolve

_SHOWN_PER_LIST = 6
_DEFAULT_CLASSES = 1000


@dataclass(frozen=True)
class StateDictReport:
    model: str  # canonical name
    num_classes: int
    gcp_dim: int | None
    num_params: int
    num_tensors: int


@dataclass(frozen=True)
class _Layout:
    shapes: dict[str, tuple[int, ...]]
    floating: frozenset[str]
    num_params: int


@lru_cache(maxsize=256)
def _layout(canonical: str, num_classes: int, gcp_dim: int | None) -> _Layout:
    model = build_shapes_only(resolve(canonical)[1], num_classes, gcp_dim)
    state = model.state_dict()
    return _Layout(shapes={key: tuple(value.shape) for key, value in state.items()},
                   floating=frozenset(key for key, value in state.items() if value.is_floating_point()),
                   num_params=sum(p.numel() for p in model.parameters()))


@cache
def _class_axes(canonical: str) -> dict[str, int]:
    """The keys whose shape depends on the number of classes (the classifier), and along which axis."""
    base, more = _layout(canonical, _DEFAULT_CLASSES, None), _layout(canonical, _DEFAULT_CLASSES + 1, None)
    return {key: next(axis for axis, (a, b) in enumerate(zip(shape, more.shapes[key], strict=True)) if a != b)
            for key, shape in base.shapes.items() if shape != more.shapes[key]}


def check_state_dict(name: str, state_dict: Mapping[str, Any], num_classes: int | None = None,
                     arch: str | None = None) -> StateDictReport:
    """Checks that a state dict (wrapped or not, `module.` prefixes allowed) loads strictly into `name`.
    `num_classes` None takes the checkpoint's own; a GCP model takes d from its classifier's input width.
    `arch` is the checkpoint's recorded architecture, which must be a variant of `name` when it is known."""
    canonical, spec = resolve(name)
    tensors, metadata = unwrap_state_dict(state_dict)
    arch = arch or metadata.get("arch")
    if arch:
        _check_arch(canonical, spec, arch)
    axes = _class_axes(canonical)
    found = [tensors[key].shape[axis] for key, axis in axes.items() if key in tensors and tensors[key].dim() > axis]
    classes = num_classes or (found[0] if found else _DEFAULT_CLASSES)
    dim = _gcp_dim(canonical, spec, tensors, axes)
    layout = _layout(canonical, classes, dim)
    # Batch norm fills in a missing num_batches_tracked itself; it never affects inference.
    missing = [key for key in layout.shapes if key not in tensors and not key.endswith("num_batches_tracked")]
    unexpected = [key for key in tensors if key not in layout.shapes]
    mismatched = [f"{key} {list(tensors[key].shape)} (model {list(shape)})"
                  for key, shape in layout.shapes.items() if key in tensors and tuple(tensors[key].shape) != shape]
    mismatched += [f"{key} is {str(tensors[key].dtype).removeprefix('torch.')}, not floating point"
                   for key in layout.floating if key in tensors and not tensors[key].is_floating_point()]
    if missing or unexpected or mismatched:
        problems = [_listing(items, what) for items, what in
                    ((missing, "missing"), (unexpected, "unexpected"), (mismatched, "mismatched")) if items]
        if found and num_classes and found[0] != num_classes:
            problems.append(f"the checkpoint has {found[0]} classes, not {num_classes}")
        shape = f"{classes} classes" + (f", d={dim}" if dim else "")
        raise CheckpointError(f"checkpoint does not fit {canonical} ({shape}): " + "; ".join(problems))
    return StateDictReport(canonical, classes, dim, layout.num_params, len(tensors))


def _gcp_dim(canonical: str, spec: ModelSpec, tensors: Mapping[str, torch.Tensor],
             axes: Mapping[str, int]) -> int | None:
    """d from the classifier's input width K = d(d+1)/2 (gcp.md §6); the spec's d when there is no classifier."""
    if spec.pooling != "gcp":
        return None
    weight = next(key for key in axes if len(_layout(canonical, _DEFAULT_CLASSES, None).shapes[key]) == 2)
    if weight not in tensors or tensors[weight].dim() != 2:
        return spec.gcp_dim
    width = tensors[weight].shape[1]
    dim = dim_for_vector_length(width)
    if dim is None:
        raise CheckpointError(f"{weight} takes {width} inputs, which is not d(d+1)/2 for any d, so it is not the "
                              f"classifier of a covariance-pooling model such as {canonical}")
    return dim


def _check_arch(canonical: str, spec: ModelSpec, arch: str) -> None:
    """The layer4 stride of a ResNet is not in the weights (gcp.md §6), so a recorded arch must agree."""
    try:
        arch_name, arch_spec = resolve(arch)
    except UnknownNameError:  # another codebase's name: reported, not judged
        return
    if (arch_spec.family, arch_spec.pooling) != (spec.family, spec.pooling):
        raise CheckpointError(f"the checkpoint was saved for arch {arch!r} ({arch_name}), not for {canonical}")


def _listing(items: list[str], what: str) -> str:
    more = f" and {len(items) - _SHOWN_PER_LIST} more" if len(items) > _SHOWN_PER_LIST else ""
    return f"{what} ({len(items)}): {', '.join(items[:_SHOWN_PER_LIST])}{more}"
