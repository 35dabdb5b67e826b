"""ResNet with the GCP head, module for module the paper's ResNet_MPNCOV (gcp.md §1.1, §2), so that its
released checkpoints load as they are: layer4 at stride 1 (14×14 maps at 224), `layer_reduce` (1×1 conv to d,
no bias) → `layer_reduce_bn` → ReLU, iSQRT-COV, `fc`."""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from evaluators.models.gcp_head import CovariancePooling, classify, vector_length


class ResNetGCP(ResNet):
    output_stride = 16

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int], num_classes: int = 1000,
                 dim: int = 256) -> None:
        super().__init__(block, layers)
        # Stride changes no weight shape, so torchvision backbone weights still fit.
        first = self.layer4[0]
        strided = first.conv1 if isinstance(first, BasicBlock) else first.conv2
        strided.stride = (1, 1)
        first.downsample[0].stride = (1, 1)
        first.stride = 1
        del self.avgpool, self.fc  # re-added below so the state-dict keys keep the paper's order
        self.layer_reduce = nn.Conv2d(512 * block.expansion, dim, kernel_size=1, bias=False)
        self.layer_reduce_bn = nn.BatchNorm2d(dim)
        self.layer_reduce_relu = nn.ReLU(inplace=True)
        self.gcp = CovariancePooling(min_input_size=self.output_stride + 1)
        self.fc = nn.Linear(vector_length(dim), num_classes)  # PyTorch's default init, as in the paper
        nn.init.kaiming_normal_(self.layer_reduce.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.layer_reduce_relu(self.layer_reduce_bn(self.layer_reduce(x)))
        return classify(self.fc, self.gcp(x))
