"""MobileNetV2 (width 1.0) with the GCP head, module for module the paper's MobileNetV2_MPNCOV (gcp.md §1.1):
standard strides (7×7 maps at 224), `dimension_reduction` = 1×1 conv to d → BN → ReLU6, iSQRT-COV,
`classifier` = Dropout(0.2) → Linear."""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models import MobileNetV2

from evaluators.models.gcp_head import CovariancePooling, classify, vector_length


class MobileNetV2GCP(MobileNetV2):
    output_stride = 32

    def __init__(self, num_classes: int = 1000, dim: int = 256) -> None:
        super().__init__()
        del self.classifier  # re-added below so the state-dict keys keep the paper's order
        self.dimension_reduction = nn.Sequential(
            nn.Conv2d(self.last_channel, dim, kernel_size=1, bias=False),
            nn.BatchNorm2d(dim),
            nn.ReLU6(inplace=True),
        )
        self.gcp = CovariancePooling(min_input_size=self.output_stride + 1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(vector_length(dim), num_classes))
        # The paper's init for the new layers, as torchvision's MobileNetV2 does for its own.
        nn.init.kaiming_normal_(self.dimension_reduction[0].weight, mode="fan_out")
        nn.init.normal_(self.classifier[1].weight, 0, 0.01)
        nn.init.zeros_(self.classifier[1].bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.dimension_reduction(self.features(x))
        return classify(self.classifier, self.gcp(x))
