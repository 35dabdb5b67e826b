"""Small real-photo datasets in the ImageNet-C / -P / val layouts, small models, and the plain reference
computation the runner must agree with (torchvision ImageFolder + PIL + ToTensor + Normalize, cv2 video
frames, numpy ranking)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image
from torch import nn
from torchvision.datasets import ImageFolder

from evaluators.benchmarks import is_noise_perturbation, perturbation_folder
from evaluators.data import ClassList
from evaluators.data.sample_photos import PHOTO_CLASSES
from evaluators.data.sample_sets import write_sample_imagenet_c, write_sample_imagenet_p
from evaluators.metrics import SequenceCounts, TopKCounts, sequence_counts

CORRUPTIONS = ("gaussian_noise", "brightness")
PERTURBATIONS = ("gaussian_noise", "translate")
FRAMES = 6
NORMALIZE = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


class TinyNet(nn.Module):
    """A small CNN with real convolutions, batch norm and pooling; quick at 224 x 224."""

    def __init__(self, classes: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 5, stride=4), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 16, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
        )
        self.fc = nn.Linear(16 * 16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


@pytest.fixture(scope="session")
def classes() -> ClassList:
    """The 8 sample-photo classes, sorted: an 8-class model's output order."""
    return ClassList(tuple(sorted(PHOTO_CLASSES.values())), name="sample-photos")


@pytest.fixture(scope="session")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """val: 16 validation-style JPEGs; c: 2 corruptions x 5 severities of them as q85 224 JPEGs; p: 6-frame
    H.264 clips, gaussian_noise at difficulties 1-3 and translate."""
    root = tmp_path_factory.mktemp("runner-data")
    write_sample_imagenet_c(root / "c", CORRUPTIONS, (1, 2, 3, 4, 5), per_class=2, seed=3, val_dir=root / "val")
    write_sample_imagenet_p(root / "p", PERTURBATIONS, per_class=1, frames=FRAMES, difficulties=(1, 2, 3), seed=3)
    return {"val": root / "val", "c": root / "c", "p": root / "p"}


@pytest.fixture
def tiny() -> TinyNet:
    torch.manual_seed(0)
    return TinyNet().eval()


def reference_topk(model: nn.Module, folder: Path, clean: bool = False) -> TopKCounts:
    """The reference's ImageFolder loop: PIL, (Resize(256)+)CenterCrop(224), ToTensor, Normalize, NCHW fp32;
    top-k by numpy's stable descending argsort."""
    crop = [T.Resize(256), T.CenterCrop(224)] if clean else [T.CenterCrop(224)]
    data = ImageFolder(str(folder), transform=T.Compose([*crop, T.ToTensor(), NORMALIZE]))
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    top1 = top5 = 0
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(data, batch_size=16):
            order = np.argsort(-model(x).numpy(), axis=1, kind="stable")
            top1 += int((order[:, 0] == y.numpy()).sum())
            top5 += int((order[:, :5] == y.numpy()[:, None]).any(1).sum())
    return TopKCounts(images=len(data), top1_correct=top1, top5_correct=top5)


def cv2_frames(path: Path) -> list[Image.Image]:
    """The reference's video loader: cv2.VideoCapture until exhausted, BGR -> RGB -> PIL."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
    capture.release()
    return frames


def reference_sequences(model: nn.Module, root: Path, perturbation: str, difficulty: int) -> SequenceCounts:
    """The reference's ImageNet-P loop: cv2 frames, ToTensor, Normalize, logits per clip, numpy counts."""
    model = model.float().eval().to(memory_format=torch.contiguous_format)
    total = SequenceCounts()
    for path in sorted((root / perturbation_folder(perturbation, difficulty)).glob("*/*.mp4")):
        x = torch.stack([NORMALIZE(T.functional.to_tensor(f)) for f in cv2_frames(path)])
        with torch.no_grad():
            logits = model(x).numpy()
        total = total + sequence_counts(logits, is_noise_perturbation(perturbation), difficulty)
    return total


@pytest.fixture(scope="session")
def reference() -> dict[str, object]:
    return {"topk": reference_topk, "sequences": reference_sequences}
