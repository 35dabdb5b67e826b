"""iSQRT-COV global covariance pooling exactly as the paper's MPNCOV code computes it (spec gcp.md §1.2).

Covariance (centred, divided by M, no ε) → division by its trace → exactly 5 coupled Newton–Schulz steps →
multiplication by √trace → row-major upper triangle including the diagonal. Plain autograd gives the right
gradients (gcp.md §1.3). The block runs in at least float32 with autocast off: bf16/fp16 lose ~1e-2 of the
result and fp16 overflows once the trace passes 65504.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor, nn

from evaluators.errors import InvalidInputError

# The released weights were trained against the truncated iteration; more steps or an exact sqrtm change them.
NEWTON_SCHULZ_STEPS = 5


def vector_length(dim: int) -> int:
    """Length of the pooled vector for d channels: d(d+1)/2."""
    return dim * (dim + 1) // 2


def dim_for_vector_length(length: int) -> int | None:
    """The d with d(d+1)/2 == length (a classifier's input width), or None when there is none."""
    dim = (math.isqrt(8 * length + 1) - 1) // 2
    return dim if dim > 0 and vector_length(dim) == length else None


def covariance(features: Tensor) -> Tensor:
    """Biased covariance of B×d×M features, X Ī Xᵀ: centring then one bmm avoids the B×M×M matrix Ī."""
    centred = features - features.mean(dim=2, keepdim=True)
    return centred.bmm(centred.transpose(1, 2)) / features.shape[2]


def newton_schulz_sqrt(cov: Tensor) -> Tensor:
    """Trace-normalised coupled Newton–Schulz square root of B×d×d matrices, scaled back by √trace."""
    trace = cov.diagonal(dim1=1, dim2=2).sum(dim=1).view(-1, 1, 1)
    a = cov / trace
    three = 3 * torch.eye(cov.shape[1], dtype=cov.dtype, device=cov.device)
    z = 0.5 * (three - a)
    y = a.bmm(z)
    for _ in range(NEWTON_SCHULZ_STEPS - 2):
        t = 0.5 * torch.baddbmm(three, z, y, alpha=-1)
        y, z = y.bmm(t), t.bmm(z)
    # The last step forms only Y.
    y = 0.5 * y.bmm(torch.baddbmm(three, z, y, alpha=-1))
    return y * trace.sqrt()


def upper_triangle(matrices: Tensor) -> Tensor:
    """B×d×d → B×d(d+1)/2 in torch.triu_indices order, no √2 on off-diagonals: the checkpoints' contract."""
    rows, cols = torch.triu_indices(matrices.shape[1], matrices.shape[2], device=matrices.device)
    return matrices[:, rows, cols]


def _autocast_off(device: torch.device) -> AbstractContextManager[object]:
    # Devices without autocast (meta, used for shape and FLOP counting) have nothing to turn off.
    available = torch.amp.is_autocast_available(device.type)
    return torch.autocast(device.type, enabled=False) if available else nullcontext()


def covariance_pooling(features: Tensor) -> Tensor:
    """B×d×h×w features → B×d(d+1)/2 iSQRT-COV vectors, in float32 (float64 stays float64), autocast off."""
    dtype = torch.promote_types(features.dtype, torch.float32)
    with _autocast_off(features.device):
        x = features.to(dtype).flatten(2)
        return upper_triangle(newton_schulz_sqrt(covariance(x)))


def classify(classifier: nn.Module, pooled: Tensor) -> Tensor:
    """Runs the classifier on the pooled vector outside autocast, in the classifier's own dtype (float32
    unless the whole model was cast), so that the GCP head stays in full precision up to the logits."""
    dtype = next(classifier.parameters()).dtype
    with _autocast_off(pooled.device):
        return classifier(pooled.to(dtype))


class CovariancePooling(nn.Module):
    """The parameter-free part of the GCP head. `min_input_size` is the smallest square input side for which
    the model's final map has at least 2×2 positions; a 1×1 map has zero covariance and the reference NaNs."""

    def __init__(self, min_input_size: int) -> None:
        super().__init__()
        self.min_input_size = min_input_size

    def forward(self, features: Tensor) -> Tensor:
        height, width = features.shape[-2:]
        if height * width < 2:
            raise InvalidInputError(
                f"input too small for covariance pooling: the final feature map is {height}×{width}, whose "
                f"covariance is zero; use inputs of at least {self.min_input_size}×{self.min_input_size} pixels"
            )
        return covariance_pooling(features)

    def extra_repr(self) -> str:
        return f"newton_schulz_steps={NEWTON_SCHULZ_STEPS}, min_input_size={self.min_input_size}"
