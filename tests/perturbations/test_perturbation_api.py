"""`sequence`: registry metadata, inputs, difficulties, seeds and typed errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from evaluators.benchmarks import ALL_PERTURBATIONS, NOISE_PERTURBATIONS, PERTURBATIONS, VALIDATION_PERTURBATIONS
from evaluators.errors import InvalidInputError, UnknownNameError
from evaluators.perturbations import PERTURBATION_REGISTRY, frame_count, perturbation_entry, sequence


def test_registry_holds_the_14_perturbations_with_their_metadata():
    assert set(PERTURBATION_REGISTRY.names()) == set(ALL_PERTURBATIONS)
    for name in ALL_PERTURBATIONS:
        entry = perturbation_entry(name)
        assert entry.split == ("test" if name in PERTURBATIONS else "validation")
        assert entry.difficulties == ((1, 2, 3) if name in NOISE_PERTURBATIONS else (1,))
        assert frame_count(name) == (41 if name == "translate" else 31)
    random = {name for name in ALL_PERTURBATIONS if not perturbation_entry(name).deterministic}
    assert random == NOISE_PERTURBATIONS | {"snow", "spatter"}
    assert set(VALIDATION_PERTURBATIONS) == {n for n in ALL_PERTURBATIONS if perturbation_entry(n).split != "test"}


def test_pil_and_array_inputs_agree(chelsea):
    from_pil = sequence(Image.fromarray(chelsea).convert("L").convert("RGB"), "rotate")
    grey = np.asarray(Image.fromarray(chelsea).convert("L").convert("RGB"))
    assert np.array_equal(from_pil, sequence(grey, "rotate"))
    assert np.array_equal(sequence(Image.fromarray(chelsea), "scale"), sequence(chelsea, "scale"))


def test_portrait_and_square_images(resized):
    portrait = np.ascontiguousarray(np.rot90(resized("rocket")))  # 256 wide
    for image in (resized("astronaut"), portrait):  # 256×256 and 256 wide
        for perturbation in ("translate", "tilt", "zoom_blur"):
            frames = sequence(image, perturbation)
            assert frames.shape == (frame_count(perturbation), 224, 224, 3)
        # A 16 px margin and shifts up to 20 px: the image ends 4 px inside the crop, the rest is black.
        frames = sequence(image, "translate")
        assert (frames[0, :, -4:] == 0).all() and (frames[0, :, -5] != 0).any()
        assert (frames[40, :, :4] == 0).all() and (frames[40, :, 4] != 0).any()


def test_seeds(chelsea):
    assert np.array_equal(sequence(chelsea, "shot_noise", 2, seed=5), sequence(chelsea, "shot_noise", 2, seed=5))
    a = sequence(chelsea, "spatter", seed=np.random.default_rng(5))
    assert np.array_equal(a, sequence(chelsea, "spatter", seed=np.random.default_rng(5)))
    assert not np.array_equal(a, sequence(chelsea, "spatter", seed=np.random.default_rng(6)))
    assert not np.array_equal(sequence(chelsea, "gaussian_noise"), sequence(chelsea, "gaussian_noise"))
    assert np.array_equal(sequence(chelsea, "rotate", seed=1), sequence(chelsea, "rotate", seed=2))


def test_global_random_states_are_untouched(chelsea):
    np.random.seed(3)
    torch.manual_seed(3)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state().clone()
    for name in ("gaussian_noise", "shot_noise", "snow"):
        sequence(chelsea, name, seed=9)
    assert np.array_equal(np.random.get_state()[1], numpy_state) and torch.equal(torch.get_rng_state(), torch_state)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [(("rotation",), UnknownNameError, "unknown perturbation 'rotation'; known: "),
     (("rotate", 2), InvalidInputError, "rotate has one sequence for every difficulty"),
     (("gaussian_noise", 4), InvalidInputError, "difficulty must be an int in 1..3, got 4"),
     (("gaussian_noise", 0), InvalidInputError, "difficulty must be an int in 1..3"),
     (("gaussian_noise", True), InvalidInputError, "difficulty must be an int in 1..3"),
     (("gaussian_noise", "2"), InvalidInputError, "difficulty must be an int in 1..3"),
     (("shot_noise", 1, -1), InvalidInputError, "an int seed must be in [0, 2**32)"),
     (("gaussian_noise", 1, 2**32), InvalidInputError, "an int seed must be in [0, 2**32)"),
     (("snow", 1, "7"), InvalidInputError, "seed must be an int, a numpy.random.Generator or None")],
)
def test_argument_errors(chelsea, args, error, message):
    with pytest.raises(error) as raised:
        sequence(chelsea, *args)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "image",
    [np.zeros((224, 224, 3), np.uint8), np.zeros((256, 300), np.uint8), np.zeros((256, 300, 4), np.uint8),
     np.zeros((256, 300, 3), np.float32), Image.new("RGB", (300, 200)), [[0]]],
    ids=["crop", "grey", "rgba", "float", "small-pil", "list"],
)
def test_wrong_images_are_refused(image):
    with pytest.raises(InvalidInputError, match=r"Resize\(256\) photo"):
        sequence(image, "brightness")
