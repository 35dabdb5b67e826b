"""ShuffleNetV2 with the GCP head, module for module the paper's ShuffleNetV2_MPNCOV (gcp.md §1.1): standard
strides (7×7 maps at 224), `dimension_reduction` = 1×1 conv to d → BN → ReLU6 after `conv5`, iSQRT-COV, `fc`.
No custom initialisation, as in the paper and torchvision."""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models import ShuffleNetV2

from evaluators.models.gcp_head import CovariancePooling, classify, vector_length


class ShuffleNetV2GCP(ShuffleNetV2):
    output_stride = 32

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int], num_classes: int = 1000,
                 dim: int = 256) -> None:
        super().__init__(stages_repeats, stages_out_channels)
        del self.fc  # re-added below so the state-dict keys keep the paper's order
        self.dimension_reduction = nn.Sequential(
            nn.Conv2d(stages_out_channels[-1], dim, kernel_size=1, bias=False),
            nn.BatchNorm2d(dim),
            nn.ReLU6(inplace=True),
        )
        self.gcp = CovariancePooling(min_input_size=self.output_stride + 1)
        self.fc = nn.Linear(vector_length(dim), num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return classify(self.fc, self.gcp(self.dimension_reduction(x)))
