"""The batched torch path against the NumPy path: the same frames on the CPU (geometry and seeded
gaussian_noise), the same statistics for the other noise, and the conformance tolerances on a GPU."""

import numpy as np
import pytest
import torch

from evaluators.perturbations import sequence
from evaluators.perturbations.batched import BATCHED, sequence_torch

GEOMETRY = ("zoom_blur", "translate", "rotate", "scale", "shear", "tilt")


def _numpy_frames(tensor: torch.Tensor) -> np.ndarray:
    assert tensor.dtype == torch.uint8 and tensor.is_contiguous()
    return tensor.cpu().numpy()


@pytest.mark.parametrize("name", GEOMETRY)
def test_geometry_equals_the_numpy_path_on_the_cpu(chelsea, name):
    assert np.array_equal(_numpy_frames(sequence_torch(chelsea, name)), sequence(chelsea, name))


@pytest.mark.parametrize("name", ["translate", "rotate"])
def test_geometry_on_a_square_image(resized, name):
    image = resized("astronaut")  # 256×256: black enters the crop
    assert np.array_equal(_numpy_frames(sequence_torch(image, name)), sequence(image, name))


def test_seeded_gaussian_noise_is_the_reference_stream_on_the_cpu(chelsea, reference_frames, frame_sha256):
    frames = _numpy_frames(sequence_torch(chelsea, "gaussian_noise", 2, seed=7))
    assert [frame_sha256(f) for f in frames] == reference_frames("gaussian_noise_2")["frame_sha256"]


@pytest.mark.parametrize("name", ["shot_noise", "speckle_noise"])
def test_other_noise_has_the_numpy_statistics(chelsea, psnr, name):
    ours = _numpy_frames(sequence_torch(chelsea, name, 3, seed=1))
    theirs = sequence(chelsea, name, 3, seed=1)
    assert np.array_equal(ours[0], theirs[0])
    ours_psnr = np.array([psnr(ours[0], f) for f in ours[1:]])
    theirs_psnr = np.array([psnr(theirs[0], f) for f in theirs[1:]])
    assert abs(ours_psnr.mean() - theirs_psnr.mean()) <= 4 * theirs_psnr.std(ddof=1) * np.sqrt(2 / 30)
    assert abs(ours[1:].mean() - theirs[1:].mean()) < 0.05


def test_the_rest_is_the_numpy_path_on_the_device(chelsea):
    assert "brightness" not in BATCHED
    assert np.array_equal(_numpy_frames(sequence_torch(chelsea, "brightness", device="cpu")),
                          sequence(chelsea, "brightness"))
    first = sequence_torch(chelsea, "spatter", seed=np.random.default_rng(4))
    assert np.array_equal(first.numpy(), sequence(chelsea, "spatter", seed=np.random.default_rng(4)))


def test_generator_seeds_are_reproducible(chelsea):
    a = sequence_torch(chelsea, "speckle_noise", seed=np.random.default_rng(2))
    assert torch.equal(a, sequence_torch(chelsea, "speckle_noise", seed=np.random.default_rng(2)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", GEOMETRY)
def test_geometry_on_cuda_within_the_conformance_tolerance(chelsea, name):
    """Other arithmetic (the GPU's): max abs diff ≤ 1 on ≤ 10 % of the values (conformance README)."""
    ours = sequence_torch(chelsea, name, device="cuda").cpu().numpy().astype(int)
    difference = np.abs(ours - sequence(chelsea, name))
    assert difference.max() <= 1 and (difference > 0).mean() <= 0.10
