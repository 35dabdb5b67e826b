"""Every frame of every ImageNet-P sequence against the reference generator (conformance/imagenet_p): exact by
sha256 for the deterministic perturbations and, under the seed protocol (int seed 7: np.random.seed(7), and
torch.manual_seed(7) for gaussian_noise), for the random ones; the affine perturbations against the release's
torchvision-0.2.1 geometry, with the inverse matrices of every call."""

import numpy as np
import pytest
from PIL import Image

from evaluators.benchmarks import ALL_PERTURBATIONS, NOISE_PERTURBATIONS
from evaluators.perturbations import perturbation_folder, sequence
from evaluators.perturbations.affine import Affine, inverse_matrix
from evaluators.perturbations.geometry import affine_calls

FOLDERS = [(p, d) for p in ALL_PERTURBATIONS for d in ((1, 2, 3) if p in NOISE_PERTURBATIONS else (1,))]
SEED = 7  # the conformance set's seed protocol


@pytest.mark.parametrize(("name", "difficulty"), FOLDERS, ids=[perturbation_folder(p, d) for p, d in FOLDERS])
def test_every_frame_is_the_reference(chelsea, reference_frames, frame_sha256, name, difficulty):
    expected = reference_frames(perturbation_folder(name, difficulty))["frame_sha256"]
    frames = sequence(chelsea, name, difficulty, seed=SEED)
    assert frames.shape == (len(expected), 224, 224, 3) and frames.dtype == np.uint8
    mismatched = [i for i, frame in enumerate(frames) if frame_sha256(frame) != expected[i]]
    assert mismatched == []


@pytest.mark.parametrize("folder", ["shot_noise", "rotate", "shear", "scale", "tilt", "zoom_blur", "spatter"])
def test_shipped_frames(chelsea, imagenet_p_dir, reference_frames, folder):
    """The shipped PNGs themselves (release geometry where it applies)."""
    frames = sequence(chelsea, folder, seed=SEED)
    root = "chelsea_release_affine" if folder in ("rotate", "shear", "scale", "zoom_blur") else "chelsea"
    for i in reference_frames(folder)["frames_shipped"]:
        with Image.open(imagenet_p_dir / root / folder / f"frame_{i}.png") as png:
            assert np.array_equal(np.asarray(png.convert("RGB")), frames[i]), i


@pytest.mark.parametrize("name", ["zoom_blur", "translate", "rotate", "scale", "shear"])
def test_affine_matrices_are_the_release_ones(chelsea, p_manifest, name):
    """Bit for bit the inverse matrices torchvision 0.2.1 computed for every frame (the release's centre
    (W/2 + 0.5, H/2 + 0.5) and 2018 shear matrix)."""
    calls = p_manifest["release_affine"]["perturbations"][name]["affine_calls"]
    height, width = chelsea.shape[:2]
    ours = [Affine(c["angle"], tuple(c["translate"]), c["scale"], c["shear"]) for c in calls]
    for call, affine in zip(calls, ours, strict=True):
        assert list(inverse_matrix(affine, width, height)) == call["matrix"], call["frame"]
    if name in ("rotate", "scale", "shear"):  # and they are the calls the sequence makes
        assert affine_calls(name) == ours


def test_noise_frame_0_is_the_clean_crop(chelsea, imagenet_c_clean):
    for name in NOISE_PERTURBATIONS:
        assert np.array_equal(sequence(chelsea, name, 3, seed=0)[0], imagenet_c_clean)


@pytest.fixture(scope="session")
def imagenet_c_clean(conformance_dir):
    with Image.open(conformance_dir / "imagenet_c" / "chelsea" / "clean.png") as png:
        return np.asarray(png.convert("RGB"))
