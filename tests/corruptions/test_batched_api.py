"""The public contract of `corrupt_batch`: typed errors, per-image seeds, generators, dtypes and devices."""

import numpy as np
import pytest
import torch

from evaluators.corruptions import ALL_CORRUPTIONS, corrupt_batch, corruption_entry
from evaluators.errors import InvalidInputError, UnknownNameError

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
STOCHASTIC = [name for name in ALL_CORRUPTIONS if not corruption_entry(name).deterministic]


@pytest.fixture(scope="module")
def batch(photo224: dict) -> torch.Tensor:
    """Four photos, B×3×224×224 uint8 on the CPU."""
    return torch.from_numpy(np.stack([photo224[n] for n in sorted(photo224)[:4]])).permute(0, 3, 1, 2).contiguous()


@pytest.mark.parametrize("bad", [
    np.zeros((1, 3, 224, 224), dtype=np.uint8),
    torch.zeros(3, 224, 224, dtype=torch.uint8),
    torch.zeros(1, 224, 224, 3, dtype=torch.uint8),
    torch.zeros(1, 3, 256, 256, dtype=torch.uint8),
    torch.zeros(0, 3, 224, 224, dtype=torch.uint8),
])
def test_wrong_shape_is_refused(bad) -> None:
    with pytest.raises(InvalidInputError, match="Bx3x224x224"):
        corrupt_batch(bad, "contrast", 1)


@pytest.mark.parametrize("bad", [
    torch.zeros(1, 3, 224, 224, dtype=torch.int32),
    torch.full((1, 3, 224, 224), 1.5),
    torch.full((1, 3, 224, 224), -0.1, dtype=torch.float64),
    torch.full((1, 3, 224, 224), float("nan")),
])
def test_wrong_dtype_or_range_is_refused(bad) -> None:
    with pytest.raises(InvalidInputError, match=r"uint8|float"):
        corrupt_batch(bad, "contrast", 1)


def test_unknown_name_and_bad_severity_are_refused(batch: torch.Tensor) -> None:
    with pytest.raises(UnknownNameError, match="gaussian_noise"):
        corrupt_batch(batch, "gaussian_nosie", 1)
    for severity in (0, 6, 2.0, "3", None):
        with pytest.raises(InvalidInputError, match="severity"):
            corrupt_batch(batch, "contrast", severity)


@pytest.mark.parametrize("generator", [[1, 2, 3], [1, 2, 3, 4, 5], [1, 2, 3, -4], [1, 2, 3, 2**63], [1, 2, 3, 4.5],
                                       [True, 1, 2, 3], "1234", 7])
def test_bad_seeds_are_refused(batch: torch.Tensor, generator) -> None:
    with pytest.raises(InvalidInputError, match=r"seed|generator"):
        corrupt_batch(batch, "gaussian_noise", 1, generator)


def test_numpy_rng_needs_numpy_seeds(batch: torch.Tensor) -> None:
    for generator in (None, torch.Generator().manual_seed(0)):
        with pytest.raises(InvalidInputError, match="numpy_rng"):
            corrupt_batch(batch, "gaussian_noise", 1, generator, numpy_rng=True)
    with pytest.raises(InvalidInputError, match="seed"):  # the legacy stream's seeds stop at 2**32
        corrupt_batch(batch, "gaussian_noise", 1, [0, 1, 2, 2**32], numpy_rng=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_generator_must_be_on_the_batch_device(batch: torch.Tensor) -> None:
    with pytest.raises(InvalidInputError, match="generator"):
        corrupt_batch(batch.cuda(), "gaussian_noise", 1, torch.Generator().manual_seed(0))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", STOCHASTIC)
def test_an_image_depends_only_on_its_seed(name: str, device: str, batch: torch.Tensor, frost_dir) -> None:
    x = batch.to(device)
    seeds = [11, 12, 13, 14]
    out = corrupt_batch(x, name, 3, seeds, frost_dir=frost_dir)
    assert torch.equal(out, corrupt_batch(x, name, 3, seeds, frost_dir=frost_dir))
    # Other neighbours, another order, another batch size (and so other CPU chunks): the same images.
    order = [2, 0, 3]
    again = corrupt_batch(x[order], name, 3, [seeds[i] for i in order], frost_dir=frost_dir)
    assert torch.equal(again, out[order])
    alone = corrupt_batch(x[3:], name, 3, [seeds[3]], frost_dir=frost_dir)
    assert torch.equal(alone[0], out[3])
    assert not torch.equal(corrupt_batch(x, name, 3, [21, 22, 23, 24], frost_dir=frost_dir), out)


@pytest.mark.parametrize("device", DEVICES)
def test_one_generator_draws_for_the_batch(device: str, batch: torch.Tensor) -> None:
    x = batch.to(device)
    first = corrupt_batch(x, "glass_blur", 1, torch.Generator(device=device).manual_seed(5))
    assert torch.equal(first, corrupt_batch(x, "glass_blur", 1, torch.Generator(device=device).manual_seed(5)))
    assert not torch.equal(first, corrupt_batch(x, "glass_blur", 1, torch.Generator(device=device).manual_seed(6)))
    assert corrupt_batch(x, "glass_blur", 1).shape == x.shape  # torch's default generator


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ALL_CORRUPTIONS)
def test_float_input_is_the_same_corruption(name: str, device: str, batch: torch.Tensor, frost_dir) -> None:
    """A float batch x/255 gives, ×255, the uint8 result before its truncation: within 1 of it (Pillow's BOX
    resize rounds to 8 bits twice in uint8 only, motion blur's 16-bit quanta once). A float32 x/255 is off by
    a rounding, which may tip an internal 8-bit step (glass blur's) by one level: within 2. CUDA's Poisson
    sampler is not continuous in its rate, so there shot noise may draw one photon more or less where the rate
    moved by that rounding: at most 0.1 % of the values."""
    x = batch[:2].to(device)
    seeds = [3, 4]
    expected = corrupt_batch(x, name, 2, seeds, frost_dir=frost_dir).double()
    for dtype, bound in ((torch.float64, 1 + 1e-9), (torch.float32, 2)):
        out = corrupt_batch(x.to(dtype) / 255, name, 2, seeds, frost_dir=frost_dir)
        assert out.dtype == dtype and out.device == x.device and out.min() >= 0 and out.max() <= 1
        diff = (out.double() * 255 - expected).abs()
        allowed = 0.001 if (name, device, dtype) == ("shot_noise", "cuda", torch.float32) else 0.0
        assert (diff > bound).double().mean() <= allowed, (dtype, diff.max(), (diff > bound).double().mean())


def test_input_is_not_modified(batch: torch.Tensor, frost_dir) -> None:
    before = batch.clone()
    floats = batch / 255
    floats_before = floats.clone()
    for name in ALL_CORRUPTIONS:
        corrupt_batch(batch, name, 5, [0, 1, 2, 3], frost_dir=frost_dir)
        corrupt_batch(floats, name, 5, [0, 1, 2, 3], frost_dir=frost_dir)
    assert torch.equal(batch, before) and torch.equal(floats, floats_before)
