"""`sequence`: one ImageNet-P perturbation sequence of one image, as the reference generator makes it."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from PIL import Image

from evaluators.benchmarks import DIFFICULTIES
from evaluators.corruptions.rng import IntSeedStream, make_rng
from evaluators.data.transforms import RESIZE
from evaluators.errors import InvalidInputError
from evaluators.perturbations import blur, geometry, noise, weather  # noqa: F401  (they register)
from evaluators.perturbations.registry import PERTURBATION_REGISTRY, Draws, PerturbationEntry


def perturbation_entry(name: str) -> PerturbationEntry:
    """The registry entry of a perturbation (UnknownNameError lists the known names)."""
    return PERTURBATION_REGISTRY.get(name)


def check_image(image: object) -> np.ndarray:
    """The Resize(256) image as a uint8 H×W×3 array; PIL images are converted to RGB first."""
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    if (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
            and min(image.shape[:2]) == RESIZE):
        return np.ascontiguousarray(image)
    got = (f"{image.dtype} {'x'.join(map(str, image.shape))}" if isinstance(image, np.ndarray)
           else type(image).__name__)
    raise InvalidInputError(
        f"image must be the Resize({RESIZE}) photo (shorter side {RESIZE}) as a PIL image or a uint8 H x W x 3 RGB "
        f"array, got {got}; evaluators.data.transforms.resize_shorter makes it"
    )


def check_difficulty(entry: PerturbationEntry, difficulty: object) -> int:
    if isinstance(difficulty, bool) or not isinstance(difficulty, Integral) or int(difficulty) not in DIFFICULTIES:
        raise InvalidInputError(f"difficulty must be an int in 1..3, got {difficulty!r}")
    if int(difficulty) not in entry.difficulties:
        raise InvalidInputError(
            f"{entry.name} has one sequence for every difficulty (only the noise perturbations have levels 2 and 3; "
            f"for {entry.name} the difficulty is the frame step at evaluation): use difficulty 1"
        )
    return int(difficulty)


def make_draws(entry: PerturbationEntry, seed: int | np.random.Generator | None) -> Draws:
    """What the sequence draws from: an int seed is the reference protocol (np.random.seed(seed), or
    torch.manual_seed(seed) for gaussian_noise), through private generators, not the global ones."""
    if entry.torch_seed and isinstance(seed, Integral) and not isinstance(seed, bool):
        make_rng(seed, IntSeedStream.LEGACY)  # refuses what NumPy's legacy seed refuses, as for the others
        return torch.Generator().manual_seed(int(seed))
    return make_rng(seed, IntSeedStream.LEGACY)


def sequence(image: np.ndarray | Image.Image, name: str, difficulty: int = 1,
             seed: int | np.random.Generator | None = None) -> np.ndarray:
    """The frames of perturbation `name` for a Resize(256) image: uint8 T×224×224×3 (T = 41 for translate,
    31 otherwise).

    difficulty: 1..3 for the noise perturbations (σ or λ of the folders `<name>`, `<name>_2`, `<name>_3`);
    the others have one sequence (their difficulty is a frame step at evaluation time) and accept 1 only.
    seed: an int reproduces the reference's generator under the conformance seed protocol (its
    `np.random.seed(seed)` stream, or `torch.manual_seed(seed)` on the CPU for gaussian_noise) bit for bit; a
    `numpy.random.Generator` draws the same distributions from that generator (the noise perturbations through
    exact per-value tables, several times faster); None uses fresh entropy. Deterministic perturbations ignore it.
    """
    entry = perturbation_entry(name)
    image = check_image(image)
    params = entry.params_for(check_difficulty(entry, difficulty))
    draws = make_draws(entry, seed)
    return entry.fn(image, params, draws)


def frame_count(name: str) -> int:
    """Frames of a perturbation's sequences: 41 for translate, 31 for the others."""
    return perturbation_entry(name).frames

