"""uint8 frames -> normalised float32 model input on the device, with the reference's exact arithmetic.

The reference computes ToTensor (`x.float().div(255)`) then Normalize (`x.sub(mean).div(std)`) in float32 on
the CPU. Doing the same three IEEE operations in the same order on the device gives the same bits, with two
traps avoided: no fused or reordered arithmetic (e.g. one multiply-add by 1/(255*std)), and no division by a
Python scalar, which CUDA kernels turn into a multiply by its reciprocal; dividing by a device tensor keeps a
true division.
"""

from __future__ import annotations

import torch

from evaluators.data.preprocessing import Preprocessing


class Normalizer:
    def __init__(self, preprocessing: Preprocessing, device: torch.device, channels_last: bool) -> None:
        self.device = device
        self.scale = torch.tensor(255.0, dtype=torch.float32, device=device)
        self.mean = torch.tensor(preprocessing.mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(preprocessing.std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 N x H x W x 3 (pinned on CUDA) -> float32 N x 3 x H x W in the chosen memory format."""
        x = pixels.to(self.device, non_blocking=True).permute(0, 3, 1, 2)
        # Element-wise ops keep the memory format, so lay out the (4x smaller) uint8 tensor once.
        x = x.contiguous(memory_format=self.memory_format)
        return x.float().div(self.scale).sub(self.mean).div(self.std)
