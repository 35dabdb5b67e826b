"""How one file becomes frames: small picklable decoders that worker processes apply to (root, relative path).

A file that cannot be read or decoded comes back as its reason, never as an exception, so one bad file cannot
kill a worker and the runner can list every bad file of a shard at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from evaluators.data.decode import center_crop, decode_clean, decode_rgb, read_bytes
from evaluators.data.transforms import CROP, RESIZE
from evaluators.data.video import decode_video


@dataclass(frozen=True)
class Item:
    pixels: torch.Tensor | None  # uint8 T x H x W x 3 (T = 1 for an image); None when unusable
    error: str | None = None
    sha256: str | None = None  # of the file's bytes, when asked for


@dataclass(frozen=True)
class Decoder:
    """`decode` turns a file's bytes into frames (any failure marks the file unreadable); `transform` may change
    them afterwards (failures there are not the file's and propagate)."""

    def decode(self, data: bytearray) -> torch.Tensor:
        raise NotImplementedError

    def transform(self, pixels: torch.Tensor, relpath: str) -> torch.Tensor:
        return pixels

    def load(self, root: str | Path, relpath: str, hash_contents: bool = False) -> Item:
        try:
            data = read_bytes(Path(root) / relpath)
        except OSError as error:
            return Item(None, f"missing: {error.strerror or error}")
        digest = hashlib.sha256(data).hexdigest() if hash_contents else None
        try:
            pixels = self.decode(data)
        except Exception as error:  # any decoder failure is a property of the file's bytes
            return Item(None, f"unreadable: {error}".strip(), digest)
        return Item(self.transform(pixels, relpath), None, digest)


@dataclass(frozen=True)
class ReleaseImages(Decoder):
    """ImageNet-C JPEGs, fed as they are: the reference's CenterCrop(224) only, a no-op on the release's images,
    whatever the model's own crop (the 224 edition is evaluated at 224)."""

    def decode(self, data: bytearray) -> torch.Tensor:
        return center_crop(decode_rgb(data), CROP).unsqueeze(0)


@dataclass(frozen=True)
class CleanImages(Decoder):
    """Validation images with the clean protocol, Resize(resize) + CenterCrop(crop) on PIL."""

    resize: int = RESIZE
    crop: int = CROP

    def decode(self, data: bytearray) -> torch.Tensor:
        return decode_clean(data, self.resize, self.crop).unsqueeze(0)


@dataclass(frozen=True)
class Clips(Decoder):
    """ImageNet-P clips, frames as they are; they must be the release's 224 x 224 (clips are batched whole)."""

    def decode(self, data: bytearray) -> torch.Tensor:
        frames = decode_video(data)
        if frames.shape[1:3] != (CROP, CROP):
            raise ValueError(f"frames are {frames.shape[2]}x{frames.shape[1]}, expected {CROP}x{CROP}")
        return torch.from_numpy(frames)
