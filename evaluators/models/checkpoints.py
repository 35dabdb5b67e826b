"""Reading and writing checkpoints without ever running code from a file.

safetensors files hold only tensors and a JSON header. Torch pickles (`.pt`, `.pth`, `.pth.tar`) go through
`torch.load(weights_only=True)` only, whose unpickler refuses any global outside plain containers and
tensors; nothing widens that list. Only tensors are kept: optimizer state, epoch and best_acc1 are dropped,
scalar fields such as the paper's `arch` survive as metadata.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from evaluators.errors import CheckpointError

CheckpointFormat = Literal["safetensors", "pickle"]
SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pt", ".pth", ".pth.tar")
# Wrapper dicts: the paper's training script saves {"state_dict": …}, torchvision's reference scripts {"model": …}.
_STATE_DICT_KEYS = ("state_dict", "model")
# Key components added by nn.DataParallel / DistributedDataParallel ("module.") and torch.compile ("_orig_mod.").
_WRAPPER_COMPONENTS = frozenset({"module", "_orig_mod"})
# Every torch.save file starts as a zip archive (torch >= 1.6) or as a pickle (the legacy format, protocol >= 2).
_PICKLE_MAGIC = (b"PK\x03\x04", b"\x80")


@dataclass(frozen=True)
class Checkpoint:
    tensors: dict[str, torch.Tensor]
    format: CheckpointFormat
    # Scalar entries beside the state dict (pickles) or the safetensors header's metadata, as strings.
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def arch(self) -> str | None:
        """The architecture name the training script recorded (the paper's `arch` field), if any."""
        return self.metadata.get("arch")


def checkpoint_format(path: str | os.PathLike[str]) -> CheckpointFormat:
    name = Path(path).name.lower()
    if name.endswith(SAFETENSORS_SUFFIXES):
        return "safetensors"
    if name.endswith(PICKLE_SUFFIXES):
        return "pickle"
    raise CheckpointError(
        f"{Path(path).name}: unsupported checkpoint type; use one of "
        f"{', '.join(SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES)}"
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """The tensors (wrappers unwrapped, `module.` stripped) and metadata of a checkpoint file."""
    path = Path(path)
    fmt = checkpoint_format(path)
    if fmt == "safetensors":
        tensors, metadata = _read_safetensors(path)
        return Checkpoint(normalise_keys(tensors, path.name), fmt, metadata)
    tensors, metadata = unwrap_state_dict(_load_pickle(path), path.name)
    return Checkpoint(tensors, fmt, metadata)


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    return read_checkpoint(path).tensors


def unwrap_state_dict(obj: Any, source: str = "checkpoint") -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a loaded object: a state dict, or a dict wrapping one beside scalar fields."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{source}: holds a {type(obj).__name__}, not a state dict")
    inner = next((obj[key] for key in _STATE_DICT_KEYS if isinstance(obj.get(key), Mapping)), None)
    metadata: dict[str, str] = {}
    if inner is not None:  # only a wrapper's scalars are metadata; a state dict's own are buffers
        metadata = {str(key): text for key, value in obj.items() if (text := _scalar_text(value)) is not None}
        obj = inner
    tensors = {str(key): value for key, value in obj.items() if isinstance(value, torch.Tensor)}
    return normalise_keys(tensors, source), metadata


def normalise_keys(tensors: Mapping[str, torch.Tensor], source: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Drops the `module.` (and `_orig_mod.`) components that wrappers add to every key."""
    if not tensors:
        raise CheckpointError(f"{source}: holds no tensors")
    result: dict[str, torch.Tensor] = {}
    for key, tensor in tensors.items():
        plain = ".".join(part for part in key.split(".") if part not in _WRAPPER_COMPONENTS)
        if plain in result:
            raise CheckpointError(f"{source}: keys {key!r} and another both become {plain!r} without wrappers")
        result[plain] = tensor
    return result


def save_safetensors(state_dict: Mapping[str, torch.Tensor], path: str | os.PathLike[str],
                     metadata: Mapping[str, str] | None = None) -> None:
    """Writes the tensors (CPU, contiguous, no shared storage, as safetensors requires) atomically."""
    seen: set[int] = set()
    tensors = {}
    for key, tensor in state_dict.items():
        tensor = tensor.detach().cpu()
        storage = tensor.untyped_storage().data_ptr()
        if storage in seen or not tensor.is_contiguous() or tensor.nbytes != tensor.untyped_storage().nbytes():
            tensor = tensor.clone(memory_format=torch.contiguous_format)
        seen.add(tensor.untyped_storage().data_ptr())
        tensors[key] = tensor
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    save_file(tensors, partial, metadata=dict(metadata or {}))
    partial.replace(path)


def convert_to_safetensors(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> dict[str, str]:
    """Rewrites any readable checkpoint as safetensors with only its tensors. Returns the metadata stored in
    the header: the source's scalar fields (e.g. `arch`), `source_format` and `source_sha256`."""
    checkpoint = read_checkpoint(src)
    metadata = {**checkpoint.metadata, "source_format": checkpoint.format, "source_sha256": sha256_file(src)}
    save_safetensors(checkpoint.tensors, dst, metadata)
    return metadata


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    try:
        with safe_open(path, framework="pt", device="cpu") as file:
            return {key: file.get_tensor(key) for key in file.keys()}, dict(file.metadata() or {})  # noqa: SIM118
    except (SafetensorError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path.name}: not a valid safetensors file ({error})") from None
    except OSError as error:
        raise CheckpointError(f"{path.name}: cannot read it ({error.strerror or error})") from None


def _load_pickle(path: Path) -> Any:
    try:
        with open(path, "rb") as file:
            head = file.read(4)
    except OSError as error:
        raise CheckpointError(f"{path.name}: cannot read it ({error.strerror or error})") from None
    if not head.startswith(_PICKLE_MAGIC):
        raise CheckpointError(f"{path.name}: not a torch checkpoint (it is neither a zip archive nor a pickle)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"{path.name}: refused, it holds more than tensors and plain containers ({_refusal_reason(error)}); "
            "save model.state_dict() or convert it to safetensors where it was made"
        ) from None
    except MemoryError:  # a resource limit, not a property of the file: the caller decides
        raise
    except Exception as error:  # torch raises EOFError, RuntimeError, … for damaged files
        detail = str(error).strip().split(". ")[0] or type(error).__name__
        raise CheckpointError(f"{path.name}: truncated or corrupt ({detail})") from None


def _refusal_reason(error: pickle.UnpicklingError) -> str:
    """The one informative line of torch's long weights_only message, e.g. 'unsupported GLOBAL posix.system'."""
    lines = [line.strip() for line in str(error).splitlines()]
    reason = next((line for line in lines if "nsupported" in line), "not a plain tensor pickle")
    return reason.removeprefix("Trying to load ").rstrip(".")


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        return str(value.item())
    return None
