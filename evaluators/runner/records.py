"""Everything DESIGN.md §4 asks a result to record that the library knows: code, library and driver versions,
device, numeric settings, precision, batch size, preprocessing, data manifest and weights hash."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np
import PIL
import torch
import torchvision
from PIL import features

import evaluators
from evaluators.models.checkpoints import sha256_file
from evaluators.runner.devices import resolve_device

DECODERS = {
    "image": "torchvision.io.decode_jpeg (libjpeg-turbo) for JPEG, else PIL; pixel-identical to PIL",
    "clean": "PIL Resize(resize, bilinear) + CenterCrop(crop), as torchvision on PIL",
    "video": "PyAV (FFmpeg) rgb24, frames as they are",
}


@cache
def git_commit() -> dict[str, Any] | None:
    """The checkout the package runs from, if it runs from one (None for an installed package)."""
    root = Path(evaluators.__file__).resolve().parent.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            return None
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return None


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: str | torch.device = "cpu") -> dict[str, Any]:
    """Code and library versions and the device, independent of any one run."""
    device = resolve_device(device)
    return {
        "cpbench": evaluators.__version__,
        "git": git_commit(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "pyav": av.__version__,
        "libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device": str(device),
        "device_name": device_name(device),
        "platform": platform.platform(),
        "decoders": DECODERS,
    }


def provenance(settings: Mapping[str, Any], *, manifest_sha256: str | Mapping[str, str] | None = None,
               weights: str | Path | None = None, weights_sha256: str | None = None,
               model: str | None = None) -> dict[str, Any]:
    """`settings`: a ShardResult's (device, precision, batch size, preprocessing, numerics, ...);
    `weights`: a checkpoint file to hash, unless its sha256 is already known."""
    if weights is not None and weights_sha256 is None:
        weights_sha256 = sha256_file(Path(weights))
    return {
        **environment(settings.get("device", "cpu")),
        "model": model,
        "weights_sha256": weights_sha256,
        "manifest_sha256": manifest_sha256,
        **{key: value for key, value in settings.items() if key != "device"},
    }
