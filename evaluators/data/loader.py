"""Batches of uint8 frames decoded by worker processes, in dataset order.

The workers outlive a shard: one pool per process (per worker count), forked once, all workers before any
thread of the pool starts, and reused by every later shard, instead of forking the evaluating process (which
on a GPU holds CUDA's libraries and a model) again for every shard as a DataLoader per shard would. Fork, not a
fork server or spawn, so that scripts without an `if __name__ == "__main__"` guard work, as with a
DataLoader; the workers never touch CUDA and run torch single-threaded. Batches come back through shared
memory as uint8 N x H x W x 3 (4x less than float32); a thread receives them and, for CUDA, pins them (the
copy into page-locked memory, as DataLoader's pin-memory thread), so that this work overlaps the main
thread's kernel launches; the device then converts and normalises them (evaluators.runner.normalize).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from itertools import islice

import torch

from evaluators.data.decoders import Decoder
from evaluators.data.folders import Folder


@dataclass(frozen=True)
class Task:
    """One batch to decode: (dataset index, relative path, label) of each file under `root`."""

    decoder: Decoder
    root: str
    items: tuple[tuple[int, str, int], ...]
    hash_contents: bool = False


@dataclass(frozen=True)
class Batch:
    indices: list[int]  # dataset indices of the usable items, in order
    labels: torch.Tensor  # int64, their labels
    pixels: torch.Tensor  # uint8 (sum of lengths) x H x W x 3: the usable items' frames, concatenated
    lengths: list[int]  # frames per usable item (1 for an image)
    failed: dict[int, str] = field(default_factory=dict)  # dataset index -> reason
    digests: dict[int, str] = field(default_factory=dict)  # dataset index -> sha256 of the file

    def pin_memory(self) -> Batch:
        return replace(self, labels=self.labels.pin_memory(), pixels=self.pixels.pin_memory())


def decode_batch(task: Task) -> Batch:
    indices, labels, frames, failed, digests = [], [], [], {}, {}
    for index, relpath, label in task.items:
        item = task.decoder.load(task.root, relpath, task.hash_contents)
        if item.sha256 is not None:
            digests[index] = item.sha256
        if item.pixels is None:
            failed[index] = item.error or "unusable"
            continue
        indices.append(index)
        labels.append(label)
        frames.append(item.pixels)
    return Batch(indices, torch.tensor(labels, dtype=torch.int64),
                 torch.cat(frames) if frames else torch.empty((0, 0, 0, 3), dtype=torch.uint8),
                 [len(f) for f in frames], failed, digests)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _start_decoder() -> None:
    # Parallelism comes from the workers; threads inside each would only fight the others for cores.
    torch.set_num_threads(1)
    # A decoder must not outlive the process it decodes for, even when that one is SIGKILLed and no cleanup
    # runs: it watches for being re-parented. (prctl's PDEATHSIG would fire when the *thread* that forked
    # it ends, and the pool forks from whichever thread first submits work.)
    threading.Thread(target=_exit_with, args=(os.getppid(),), name="cpbench-parent-watch", daemon=True).start()


class DecodePool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_start_decoder)

    def map(self, tasks: Iterable[Task]) -> Generator[Batch]:
        """decode_batch over `tasks`, in order, with at most two batches per worker in flight."""
        tasks = iter(tasks)
        pending: deque[Future[Batch]] = deque(self.executor.submit(decode_batch, t)
                                              for t in islice(tasks, 2 * self.workers))
        try:
            while pending:
                batch = pending.popleft().result()
                for task in islice(tasks, 1):
                    pending.append(self.executor.submit(decode_batch, task))
                yield batch
        except BrokenProcessPool:
            _POOLS.pop(self.workers, None)  # a worker died (killed, out of memory): the next shard starts afresh
            raise
        finally:
            for future in pending:
                future.cancel()


_POOLS: dict[int, DecodePool] = {}


def decode_pool(workers: int) -> DecodePool:
    """This process's pool of `workers` decoders, started on first use."""
    if workers not in _POOLS:
        _POOLS[workers] = DecodePool(workers)
    return _POOLS[workers]


def shutdown_decode_pools() -> None:
    """Stops this process's decoders (e.g. when a Celery pool process shuts down)."""
    while _POOLS:
        _POOLS.popitem()[1].executor.shutdown(wait=True, cancel_futures=True)


def default_workers(device: torch.device) -> int:
    """Decoding is ~1% of model time on a CPU, so one worker suffices there; a GPU needs every core."""
    cores = os.cpu_count() or 1
    return min(cores, 16) if device.type == "cuda" else 1


def load_batches(decoder: Decoder, folder: Folder, items_per_batch: int, workers: int, pin_memory: bool = False,
                 hash_contents: bool = False) -> Generator[Batch]:
    """The folder's samples in order, `items_per_batch` files a batch. `workers=0` decodes in this process
    (e.g. inside a daemonic process, which may not start children)."""
    samples = folder.samples
    tasks = (Task(decoder, str(folder.path), tuple((i, s.relpath, s.label) for i, s in enumerate(
        samples[start : start + items_per_batch], start)), hash_contents)
        for start in range(0, len(samples), items_per_batch))
    if workers == 0:
        for batch in map(decode_batch, tasks):
            yield batch.pin_memory() if pin_memory else batch
    else:
        yield from _received_in_background(decode_pool(workers).map(tasks), pin_memory)


def _received_in_background(batches: Generator[Batch], pin_memory: bool, depth: int = 2) -> Generator[Batch]:
    """`batches`, taken (and pinned) by a thread that stays at most `depth` batches ahead."""
    ready: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=depth)  # None: the end
    stop = threading.Event()

    def offer(item: Batch | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def receive() -> None:
        try:
            for batch in batches:
                if not offer(batch.pin_memory() if pin_memory else batch):
                    return
            offer(None)
        except BaseException as error:  # handed to the consumer, which raises it
            offer(error)

    thread = threading.Thread(target=receive, name="cpbench-receive", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        batches.close()  # cancels what the pool still has pending
