"""How a model wants its input: normalisation constants and the clean protocol's resize and crop."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from evaluators.errors import InvalidInputError

# The clean protocol: Resize(256) then CenterCrop(224) (torchvision's, on PIL: evaluators.data.transforms).
RESIZE = 256
CROP = 224
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Preprocessing:
    """Clean images get Resize(resize) + CenterCrop(crop); ImageNet-C/-P images are fed as they are (224 x 224);
    every image is normalised with mean/std after ToTensor."""

    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    resize: int = RESIZE
    crop: int = CROP

    def __post_init__(self) -> None:
        for what, values in (("mean", self.mean), ("std", self.std)):
            if len(values) != 3:
                raise InvalidInputError(f"preprocessing {what} needs 3 values (RGB), got {len(values)}")
        if any(s <= 0 for s in self.std):
            raise InvalidInputError(f"preprocessing std must be positive, got {self.std}")
        if not 0 < self.crop <= self.resize:
            raise InvalidInputError(f"need 0 < crop <= resize, got crop {self.crop}, resize {self.resize}")

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}
