"""The names that define ImageNet-C and ImageNet-P (spec imagenet_cp.md §1.1, §3): one source of truth.

ImageNet-P's test list follows the README and the paper (snow is a test perturbation, spatter a
validation one); the reference test.py's argparse order suggests otherwise, see the spec's open questions.
"""

from collections.abc import Iterable

from evaluators.errors import UnknownNameError

CORRUPTION_GROUPS: dict[str, tuple[str, ...]] = {
    "noise": ("gaussian_noise", "shot_noise", "impulse_noise"),
    "blur": ("defocus_blur", "glass_blur", "motion_blur", "zoom_blur"),
    "weather": ("snow", "frost", "fog", "brightness"),
    "digital": ("contrast", "elastic_transform", "pixelate", "jpeg_compression"),
}
# The 15 benchmark corruptions in canonical order; only these enter mCE.
CORRUPTIONS: tuple[str, ...] = tuple(name for group in CORRUPTION_GROUPS.values() for name in group)
# The 4 "extra" (validation) corruptions: reported separately, never in mCE.
EXTRA_CORRUPTIONS: tuple[str, ...] = ("speckle_noise", "gaussian_blur", "spatter", "saturate")
ALL_CORRUPTIONS: tuple[str, ...] = CORRUPTIONS + EXTRA_CORRUPTIONS
SEVERITIES: tuple[int, ...] = (1, 2, 3, 4, 5)

# The 10 ImageNet-P test perturbations (mFP, mT5D) and the 4 validation ones.
PERTURBATIONS: tuple[str, ...] = (
    "gaussian_noise", "shot_noise", "motion_blur", "zoom_blur", "snow",
    "brightness", "translate", "rotate", "tilt", "scale",
)  # fmt: skip
VALIDATION_PERTURBATIONS: tuple[str, ...] = ("speckle_noise", "gaussian_blur", "spatter", "shear")
ALL_PERTURBATIONS: tuple[str, ...] = PERTURBATIONS + VALIDATION_PERTURBATIONS
# Noise perturbations compare every frame with frame 0 and take difficulty as a folder suffix (_2, _3);
# the others compare frames `difficulty` apart.
NOISE_PERTURBATIONS: frozenset[str] = frozenset({"gaussian_noise", "shot_noise", "speckle_noise"})
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
# Numeric precisions of an evaluation (part of a suite's protocol): fp32 is exact; bf16 is autocast, with the
# GCP head kept in fp32.
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")


def covers_the_benchmark(levels: Iterable[tuple[str, int]]) -> bool:
    """Whether (corruption, severity) `levels` hold every benchmark corruption at every severity: the layout the
    published AlexNet table was measured on, and the first condition for normalising by it (a subset, or data
    other than the release, is not that either)."""
    present = set(levels)
    return all((c, s) in present for c in CORRUPTIONS for s in SEVERITIES)


def corruption_group(name: str) -> str:
    """The group of a corruption name ('extra' for the 4 validation corruptions)."""
    for group, names in CORRUPTION_GROUPS.items():
        if name in names:
            return group
    if name in EXTRA_CORRUPTIONS:
        return "extra"
    raise UnknownNameError(f"unknown corruption {name!r}; known: {', '.join(ALL_CORRUPTIONS)}")


def is_noise_perturbation(name: str) -> bool:
    return name in NOISE_PERTURBATIONS


def perturbation_folder(name: str, difficulty: int) -> str:
    """Folder of a perturbation at a difficulty: noise perturbations use `<name>_<d>` for d > 1."""
    return f"{name}_{difficulty}" if name in NOISE_PERTURBATIONS and difficulty > 1 else name
