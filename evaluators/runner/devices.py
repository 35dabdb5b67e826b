"""Device and precision choices, and the numeric settings that make "fp32" mean IEEE float32 everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import torch

from evaluators.benchmarks import PRECISIONS
from evaluators.errors import InvalidInputError

Precision = Literal["fp32", "bf16"]


def resolve_device(device: str | torch.device) -> torch.device:
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise InvalidInputError(f"unknown device {device!r}; use cpu or cuda") from None
    if resolved.type not in ("cpu", "cuda"):
        raise InvalidInputError(f"unsupported device {device!r}; use cpu or cuda")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InvalidInputError("device cuda requested, but CUDA is not available on this machine")
    return resolved


def cpu_has_native_bf16() -> bool:
    """AVX512-BF16 or AMX: without them oneDNN emulates bf16 and autocast is slower than fp32."""
    return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
                or getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def check_precision(precision: str, device: torch.device) -> Precision:
    if precision not in PRECISIONS:
        raise InvalidInputError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
    if precision == "bf16":
        if device.type == "cpu" and not cpu_has_native_bf16():
            raise InvalidInputError("bf16 needs a CPU with AVX512-BF16 or AMX (this one would emulate it, slower "
                                    "than fp32); use fp32")
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise InvalidInputError(f"{torch.cuda.get_device_name(device)} does not support bf16; use fp32")
    return precision  # type: ignore[return-value]


@contextmanager
def numerics(device: torch.device, deterministic: bool = True) -> Iterator[None]:
    """On CUDA: float32 convolutions and matmuls in IEEE float32 (PyTorch lets cuDNN use TF32, a 10-bit
    mantissa, by default), and cuDNN's fixed algorithm choice unless `deterministic` is off (then it
    benchmarks, which can change the last bits from run to run). Restores the previous settings."""
    if device.type != "cuda":
        yield
        return
    conv, matmul = torch.backends.cudnn.conv, torch.backends.cuda.matmul
    saved = (conv.fp32_precision, matmul.fp32_precision, torch.backends.cudnn.benchmark,
             torch.backends.cudnn.deterministic)
    conv.fp32_precision, matmul.fp32_precision = "ieee", "ieee"
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = not deterministic, deterministic
    try:
        yield
    finally:
        (conv.fp32_precision, matmul.fp32_precision, torch.backends.cudnn.benchmark,
         torch.backends.cudnn.deterministic) = saved


def numeric_settings(device: torch.device) -> dict[str, object]:
    """The settings `numerics` controls, as they are now (for provenance)."""
    if device.type != "cuda":
        return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads()}
    return {"conv_fp32_precision": torch.backends.cudnn.conv.fp32_precision,
            "matmul_fp32_precision": torch.backends.cuda.matmul.fp32_precision,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "cudnn_deterministic": torch.backends.cudnn.deterministic}
