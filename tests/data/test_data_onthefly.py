"""The on-the-fly view: each file corrupted with its own seed, so pixels do not depend on order, batch or
worker count; with the JPEG round trip it is what `write_sample_imagenet_c`'s files hold, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluators.data import ClassList, clean_folder, imagenet_c_folder
from evaluators.data.decoders import ReleaseImages
from evaluators.data.onthefly import CorruptedOnTheFly
from evaluators.data.sample_photos import PHOTO_CLASSES
from evaluators.data.sample_sets import write_sample_imagenet_c

CLASSES = ClassList(tuple(sorted(PHOTO_CLASSES.values())))
PHOTOS = ("chelsea", "coffee")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("onthefly")
    write_sample_imagenet_c(root / "c", ("gaussian_noise", "contrast"), (2,), per_class=2, seed=11,
                            photos=PHOTOS, val_dir=root / "val")
    return root


def view(root, corruption, seed=11, jpeg_quality=85):
    """The pixels of every clean file, corrupted on the fly."""
    folder = clean_folder(root / "val", CLASSES)
    decoder = CorruptedOnTheFly(corruption, 2, seed, jpeg_quality)
    return {s.relpath: decoder.load(folder.path, s.relpath).pixels for s in folder.samples}


@pytest.mark.parametrize("corruption", ["gaussian_noise", "contrast"])
def test_equals_the_written_jpegs(written, corruption):
    """Same seed derivation (run seed, corruption, severity, relpath) and q85 encoding as the written set."""
    fly = view(written, corruption)
    folder = imagenet_c_folder(written / "c", corruption, 2, CLASSES)
    assert len(fly) == len(folder) == 4
    for sample in folder.samples:
        assert torch.equal(fly[sample.relpath], ReleaseImages().load(folder.path, sample.relpath).pixels)


def test_reproducible_and_seeded(written):
    first = view(written, "gaussian_noise")
    assert all(torch.equal(view(written, "gaussian_noise")[k], v) for k, v in first.items())
    other = view(written, "gaussian_noise", seed=12)
    some, another = sorted(first)[:2]
    assert not torch.equal(other[some], first[some])
    assert not torch.equal(first[some], first[another])  # each file has its own noise


def test_without_jpeg_round_trip(written):
    raw = next(iter(view(written, "gaussian_noise", jpeg_quality=None).values()))
    jpeg = next(iter(view(written, "gaussian_noise").values()))
    assert raw.shape == jpeg.shape == (1, 224, 224, 3) and raw.dtype == torch.uint8
    difference = np.abs(raw.numpy().astype(int) - jpeg.numpy())
    assert 0 < difference.mean() < 20  # the release's light compression, nothing more
