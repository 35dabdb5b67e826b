"""Batches from the decoding processes: the same as decoding in-process, in order; the pool outlives a shard,
survives a shard stopped early, and passes on errors that are not a file's fault."""

from __future__ import annotations

import pytest
import torch

from evaluators.data import ClassList, clean_folder
from evaluators.data.decoders import CleanImages
from evaluators.data.loader import decode_pool, load_batches
from evaluators.data.onthefly import CorruptedOnTheFly
from evaluators.data.sample_photos import PHOTO_CLASSES, write_sample_folder
from evaluators.errors import MissingAssetError

CLASSES = ClassList(tuple(sorted(PHOTO_CLASSES.values())))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("loader")
    write_sample_folder(root, per_class=2, seed=5, photos=("chelsea", "rocket", "coffee"))
    (root / "n07920052" / "broken.JPEG").write_bytes(b"\xff\xd8 truncated")
    return clean_folder(root, CLASSES)


def test_workers_give_the_in_process_batches(folder):
    here = list(load_batches(CleanImages(), folder, 3, workers=0, hash_contents=True))
    pooled = list(load_batches(CleanImages(), folder, 3, workers=2, hash_contents=True))
    assert [b.indices for b in here] == [b.indices for b in pooled] == [[0, 1, 2], [3, 5], [6]]
    for a, b in zip(here, pooled, strict=True):
        assert torch.equal(a.pixels, b.pixels) and torch.equal(a.labels, b.labels)
        assert a.failed == b.failed and a.digests == b.digests and a.lengths == b.lengths == [1] * len(a.indices)
    assert here[1].failed.keys() == {4} and here[1].failed[4].startswith("unreadable:")  # n07920052/broken.JPEG
    assert [s.label for s in folder.samples[:3]] == here[0].labels.tolist()
    assert len(here[0].digests) == 3


def test_the_pool_outlives_shards_and_early_stops(folder):
    pool = decode_pool(2)
    stopped = load_batches(CleanImages(), folder, 1, workers=2)
    next(stopped)
    stopped.close()  # a smoke run: pending batches are dropped
    assert decode_pool(2) is pool
    assert sum(len(b.indices) for b in load_batches(CleanImages(), folder, 2, workers=2)) == 6


def test_errors_that_are_not_the_files_propagate(folder):
    decoder = CorruptedOnTheFly("frost", 1, frost_dir=str(folder.path / "no-frost-here"))
    with pytest.raises(MissingAssetError):
        list(load_batches(decoder, folder, 2, workers=2))
    assert len(list(load_batches(CleanImages(), folder, 4, workers=2))) == 2  # the pool still works
