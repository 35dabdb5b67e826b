"""ImageNet-P perturbations (spec imagenet_cp.md §3): the reference's 10 test and 4 validation sequences.

    from evaluators.perturbations import sequence
    frames = sequence(resized_uint8_or_pil, "rotate")          # uint8 31 x 224 x 224 x 3
    frames = sequence(resized, "shot_noise", difficulty=2, seed=7)

Input is the Resize(256) photo (`evaluators.data.transforms.resize_shorter`), as the reference generator
takes it. Bit-identical to the reference `hendrycks/robustness` generator on the conformance stack for the
deterministic perturbations and, with an int seed, for the random ones; the geometric ones reproduce the
release's torchvision-0.2.1 affine. `sequence_torch` is the batched torch path (all frames at once, any device)
for the noise and geometric perturbations.
"""

from evaluators.benchmarks import (
    ALL_PERTURBATIONS,
    DIFFICULTIES,
    NOISE_PERTURBATIONS,
    PERTURBATIONS,
    VALIDATION_PERTURBATIONS,
    perturbation_folder,
)
from evaluators.perturbations.api import check_image, frame_count, perturbation_entry, sequence
from evaluators.perturbations.batched import sequence_torch
from evaluators.perturbations.registry import CONSTANTS_VERSION, PERTURBATION_REGISTRY, PerturbationEntry

__all__ = [
    "ALL_PERTURBATIONS",
    "CONSTANTS_VERSION",
    "DIFFICULTIES",
    "NOISE_PERTURBATIONS",
    "PERTURBATIONS",
    "PERTURBATION_REGISTRY",
    "VALIDATION_PERTURBATIONS",
    "PerturbationEntry",
    "check_image",
    "frame_count",
    "perturbation_entry",
    "perturbation_folder",
    "sequence",
    "sequence_torch",
]
