"""Map a function over a stream with a bounded number of items in flight, so memory stays flat."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _single_thread_worker() -> None:
    # One image per process: threads inside a worker would only fight the other workers for cores.
    os.environ["OMP_NUM_THREADS"] = "1"
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def bounded_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """Results of fn(item) in completion order; workers=0 runs in this process (easy to debug)."""
    if workers <= 0:
        yield from map(fn, items)
        return
    window = 4 * workers
    # Workers start from a fresh forkserver, not a fork of this process: a fork inherits the state of thread
    # pools OpenCV or torch may have started here, and hangs in the first call that touches them.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_single_thread_worker) as pool:
        pending: set[Future[R]] = set()
        try:
            for item in items:
                pending.add(pool.submit(fn, item))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (f.result() for f in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
