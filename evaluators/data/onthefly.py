"""An ImageNet-C shard computed in the loader: clean images corrupted in memory, one fixed seed per file.

Each file is prepared as the release's generator did (PIL RGB, Resize(256), CenterCrop(224)), corrupted with
seed derive_seed(seed, corruption, severity, relpath), so a rerun, any worker count and any batch size give
the same pixels, and optionally stored and reloaded as JPEG quality 85 (optimize on), the release's format,
which adds its light compression to every corruption (spec imagenet_cp.md §1.4, §8.4). Results are never
interchangeable with the released JPEGs: the release had no seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from evaluators.corruptions import corrupt
from evaluators.data.decode import decode_clean, decode_rgb
from evaluators.data.decoders import Decoder
from evaluators.data.transforms import CROP, RESIZE
from evaluators.generate.imagenet_c import JPEG_QUALITY, encode_jpeg
from evaluators.seeding import derive_seed


@dataclass(frozen=True)
class CorruptedOnTheFly(Decoder):
    corruption: str
    severity: int
    seed: int = 0
    jpeg_quality: int | None = JPEG_QUALITY
    frost_dir: str | None = None

    def decode(self, data: bytearray) -> torch.Tensor:
        return decode_clean(data, RESIZE, CROP)  # the generator's input, whatever the model's preprocessing

    def transform(self, pixels: torch.Tensor, relpath: str) -> torch.Tensor:
        seed = derive_seed(self.seed, self.corruption, self.severity, relpath)
        image = corrupt(pixels.numpy(), self.corruption, self.severity, seed, frost_dir=self.frost_dir)
        if self.jpeg_quality is not None:
            return decode_rgb(bytearray(encode_jpeg(image, self.jpeg_quality))).unsqueeze(0)
        return torch.from_numpy(np.ascontiguousarray(image)).unsqueeze(0)
