"""ImageNet-C corruptions (spec imagenet_cp.md §1): the reference's 19 corruptions × 5 severities in NumPy.

    from evaluators.corruptions import corrupt
    out = corrupt(image_uint8_224x224x3, "glass_blur", severity=3, seed=0)

Bit-identical to the reference `hendrycks/robustness` generator on the conformance stack for the
deterministic corruptions and, with an int seed, for the random ones (motion blur and snow through a
re-implementation of ImageMagick's kernel). Building blocks shared with other paths live in
`evaluators.imageops`.

`corrupt_batch` (`evaluators.corruptions.batched`) is the batched torch path, CPU or GPU; it is imported on
first use, so that the numpy path does not load torch.
"""

from typing import Any

from evaluators.benchmarks import (
    ALL_CORRUPTIONS,
    CORRUPTION_GROUPS,
    CORRUPTIONS,
    EXTRA_CORRUPTIONS,
    SEVERITIES,
    corruption_group,
)
from evaluators.corruptions.api import IMAGE_SHAPE, corrupt, corruption_entry
from evaluators.corruptions.frost import FROST_FILES, frost_textures, resolve_frost_dir
from evaluators.corruptions.registry import CONSTANTS_VERSION, CORRUPTION_REGISTRY, Context, CorruptionEntry
from evaluators.corruptions.rng import IntSeedStream, make_rng

__all__ = [
    "ALL_CORRUPTIONS",
    "CONSTANTS_VERSION",
    "CORRUPTIONS",
    "CORRUPTION_GROUPS",
    "CORRUPTION_REGISTRY",
    "EXTRA_CORRUPTIONS",
    "FROST_FILES",
    "IMAGE_SHAPE",
    "SEVERITIES",
    "Context",
    "CorruptionEntry",
    "IntSeedStream",
    "corrupt",
    "corrupt_batch",
    "corruption_entry",
    "corruption_group",
    "frost_textures",
    "make_rng",
    "resolve_frost_dir",
]


def __getattr__(name: str) -> Any:
    if name == "corrupt_batch":
        from evaluators.corruptions.batched import corrupt_batch

        return corrupt_batch
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
