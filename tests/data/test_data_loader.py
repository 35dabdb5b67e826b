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


def test_decoders_die_with_their_parent():
    """A SIGKILLed evaluating process (e.g. a Celery pool child) must not leave its decoders behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = ("import math, time\nfrom evaluators.data.loader import decode_pool\npool = decode_pool(2)\n"
            "list(pool.executor.map(math.sqrt, range(4)))\n"
            "print(' '.join(map(str, pool.executor._processes)), flush=True)\ntime.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    decoders = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(decoders) == 2
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()

    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split()[2] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while any(map(running, decoders)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(running, decoders))


def test_shutdown_decode_pools_stops_the_decoders():
    from evaluators.data.loader import _POOLS, decode_pool, shutdown_decode_pools

    pool = decode_pool(1)
    processes = list(pool.executor.map(abs, [-1]))
    assert processes == [1] and _POOLS
    shutdown_decode_pools()
    assert not _POOLS
