"""The public API of evaluators.corruptions: registry, constants, seeds and typed errors."""

import numpy as np
import pytest

from evaluators import benchmarks
from evaluators.corruptions import (
    ALL_CORRUPTIONS,
    CORRUPTION_GROUPS,
    CORRUPTION_REGISTRY,
    CORRUPTIONS,
    EXTRA_CORRUPTIONS,
    IntSeedStream,
    corrupt,
    corruption_entry,
)
from evaluators.errors import InvalidInputError, UnknownNameError

DETERMINISTIC = {"defocus_blur", "gaussian_blur", "zoom_blur", "brightness", "contrast", "saturate", "pixelate",
                 "jpeg_compression"}
STOCHASTIC = [name for name in ALL_CORRUPTIONS if name not in DETERMINISTIC]


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    # A smooth-ish image (upsampled noise) so every corruption does something visible.
    return np.kron(base, np.ones((28, 28, 1), dtype=np.uint8))


def test_names_are_the_benchmark_definitions() -> None:
    assert CORRUPTIONS is benchmarks.CORRUPTIONS
    assert EXTRA_CORRUPTIONS is benchmarks.EXTRA_CORRUPTIONS
    assert CORRUPTION_GROUPS is benchmarks.CORRUPTION_GROUPS
    assert sorted(CORRUPTION_REGISTRY.names()) == sorted(ALL_CORRUPTIONS)
    for name in ALL_CORRUPTIONS:
        entry = corruption_entry(name)
        assert entry.name == name
        assert entry.group == benchmarks.corruption_group(name)
        assert entry.deterministic == (name in DETERMINISTIC)
        assert len(entry.params) == 5
    assert corruption_entry("impulse_noise").int_seed is IntSeedStream.PCG64
    assert {corruption_entry(n).int_seed for n in ALL_CORRUPTIONS if n != "impulse_noise"} == {IntSeedStream.LEGACY}


def test_reference_constants_and_quirks() -> None:
    # np.arange's float endpoints: 12, 16, 11, 13, 11 zoom factors, 1.11 included at severity 1.
    zooms = corruption_entry("zoom_blur").params
    assert [len(z) for z in zooms] == [12, 16, 11, 13, 11]
    assert zooms[0][-1] == pytest.approx(1.11)
    # "244 should have been 224": the elastic constants are multiples of 244.
    assert corruption_entry("elastic_transform").params[0] == (488, 244 * 0.7, 244 * 0.1)
    assert [int(224 * c) for c in corruption_entry("pixelate").params] == [134, 112, 89, 67, 56]
    assert corruption_entry("glass_blur").params[2] == (1, 2, 3)


def test_unknown_name_lists_the_known_ones(image: np.ndarray) -> None:
    with pytest.raises(UnknownNameError) as info:
        corrupt(image, "gaussian_nosie", 1)
    assert "gaussian_noise" in str(info.value) and "saturate" in str(info.value)


@pytest.mark.parametrize("bad", [
    np.zeros((224, 224, 3), dtype=np.float32),
    np.zeros((224, 224), dtype=np.uint8),
    np.zeros((224, 224, 4), dtype=np.uint8),
    np.zeros((256, 256, 3), dtype=np.uint8),
    [[0, 0, 0]],
])
def test_wrong_image_is_refused(bad) -> None:
    with pytest.raises(InvalidInputError, match="224x224x3"):
        corrupt(bad, "contrast", 1)


@pytest.mark.parametrize("severity", [0, 6, -1, 2.0, True, "3", None])
def test_severity_outside_1_to_5_is_refused(image: np.ndarray, severity) -> None:
    # The reference silently treats 0 as severity 5 (c[severity - 1]); cpbench refuses.
    with pytest.raises(InvalidInputError, match="severity"):
        corrupt(image, "contrast", severity)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7", np.random.RandomState(0)])
def test_bad_seed_is_refused(image: np.ndarray, seed) -> None:
    with pytest.raises(InvalidInputError, match="seed"):
        corrupt(image, "gaussian_noise", 1, seed=seed)


@pytest.mark.parametrize("name", STOCHASTIC)
def test_seed_reproduces_and_varies(name: str, image: np.ndarray, frost_dir) -> None:
    first = corrupt(image, name, 3, seed=11, frost_dir=frost_dir)
    assert np.array_equal(first, corrupt(image, name, 3, seed=np.int64(11), frost_dir=frost_dir))
    assert not np.array_equal(first, corrupt(image, name, 3, seed=12, frost_dir=frost_dir))
    from_generator = corrupt(image, name, 3, seed=np.random.default_rng(5), frost_dir=frost_dir)
    assert np.array_equal(from_generator, corrupt(image, name, 3, seed=np.random.default_rng(5),
                                                  frost_dir=frost_dir))


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_corruptions_ignore_the_seed(name: str, image: np.ndarray) -> None:
    out = corrupt(image, name, 2)
    assert np.array_equal(out, corrupt(image, name, 2, seed=1))
    assert np.array_equal(out, corrupt(image, name, 2, seed=np.random.default_rng()))


def test_global_numpy_rng_is_untouched(image: np.ndarray) -> None:
    state = np.random.get_state()
    corrupt(image, "glass_blur", 1, seed=3)
    corrupt(image, "fog", 1)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_input_is_not_modified_and_views_are_accepted(image: np.ndarray, frost_dir) -> None:
    padded = np.zeros((230, 230, 3), dtype=np.uint8)
    padded[3:227, 3:227] = image
    view = padded[3:227, 3:227]  # not contiguous
    view.flags.writeable = False
    before = view.copy()
    for name in ALL_CORRUPTIONS:
        out = corrupt(view, name, 5, seed=0, frost_dir=frost_dir)
        assert out.dtype == np.uint8 and out.shape == (224, 224, 3) and out.flags.writeable
        assert not np.shares_memory(out, padded)
    assert np.array_equal(view, before)
    assert np.array_equal(corrupt(view, "glass_blur", 2, seed=1), corrupt(image, "glass_blur", 2, seed=1))
