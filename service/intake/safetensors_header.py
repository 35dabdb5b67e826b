"""Reads a safetensors header without reading any tensor: names, dtypes and shapes as meta tensors, so the
architecture check costs no memory, and a size check that catches truncated files."""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import torch

from service.intake.errors import IntakeError
from service.intake.filetype import MAX_SAFETENSORS_HEADER

DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool, "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2,
}  # fmt: skip


@dataclass(frozen=True)
class Header:
    tensors: dict[str, torch.Tensor]  # on the meta device
    metadata: dict[str, str]


def read_header(path: Path) -> Header:
    size = path.stat().st_size
    with path.open("rb") as file:
        prefix = file.read(8)
        if len(prefix) < 8:
            raise _bad("the file is shorter than a safetensors header")
        (length,) = struct.unpack("<Q", prefix)
        if length > min(MAX_SAFETENSORS_HEADER, size - 8):
            raise _bad(f"the header claims {length} bytes but the file has {size - 8} (truncated?)")
        raw = file.read(length)
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _bad(f"the header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise _bad("the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _bad("__metadata__ must map names to strings")
    tensors: dict[str, torch.Tensor] = {}
    spans: list[tuple[int, int]] = []
    for name, entry in header.items():
        tensors[name] = _meta_tensor(name, entry)
        spans.append((entry["data_offsets"][0], entry["data_offsets"][1]))
    if not tensors:
        raise _bad("it holds no tensors")
    _check_spans(sorted(spans), size - 8 - length)
    return Header(tensors, dict(metadata))


def _meta_tensor(name: str, entry: object) -> torch.Tensor:
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise _bad(f"tensor {name!r} lacks dtype, shape or data_offsets")
    dtype = DTYPES.get(entry["dtype"])
    shape, offsets = entry["shape"], entry["data_offsets"]
    if dtype is None:
        raise _bad(f"tensor {name!r} has unsupported dtype {entry['dtype']!r}")
    if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
        raise _bad(f"tensor {name!r} has an invalid shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise _bad(f"tensor {name!r} has invalid data_offsets {offsets!r}")
    itemsize = torch.empty((), dtype=dtype).element_size()
    if offsets[1] - offsets[0] != math.prod(shape) * itemsize:
        raise _bad(f"tensor {name!r}: {offsets[1] - offsets[0]} bytes do not hold shape {shape} of {entry['dtype']}")
    return torch.empty(shape, dtype=dtype, device="meta")


def _check_spans(spans: list[tuple[int, int]], data_bytes: int) -> None:
    """Tensors must tile the data section exactly, as the safetensors format requires."""
    position = 0
    for begin, end in spans:
        if begin != position:
            raise _bad("tensor data overlaps or leaves gaps")
        position = end
    if position > data_bytes:
        raise _bad(f"the file is truncated: its tensors need {position} bytes of data, it has {data_bytes}")
    if position < data_bytes:
        raise _bad(f"{data_bytes - position} stray bytes after the last tensor")


def _bad(reason: str) -> IntakeError:
    return IntakeError(422, f"not a valid safetensors file: {reason}")
