"""`run_shard`: one shard of data through one model, as fast as the device allows, with the reference's numbers.

Worker processes read and decode files into uint8 batches (evaluators.data.loader); the device converts and
normalises them exactly as the reference does (normalize.py), the model runs in eval and inference mode,
channels_last, fp32 or bf16 autocast, and the counts are taken on the device (counting.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from evaluators.data.classes import ClassList, resolve_classes
from evaluators.data.decoders import CleanImages, Clips, Decoder, ReleaseImages
from evaluators.data.folders import Folder, clean_folder, imagenet_c_folder, imagenet_p_folder
from evaluators.data.loader import Batch, default_workers, load_batches
from evaluators.data.manifest import Manifest
from evaluators.data.preprocessing import Preprocessing
from evaluators.data.problems import check_problems
from evaluators.errors import InvalidInputError
from evaluators.runner.counting import SequenceCounter, TopKCounter, check_logits
from evaluators.runner.devices import check_precision, numeric_settings, numerics, resolve_device
from evaluators.runner.normalize import Normalizer
from evaluators.runner.results import ShardResult
from evaluators.runner.shards import CleanShard, CorruptionShard, OnTheFlyShard, PerturbationShard, Shard

Progress = Callable[[int], None]
# Frames per ImageNet-P clip (spec imagenet_cp.md §3): sizes the number of clips per batch.
CLIP_FRAMES = {"translate": 41}
DEFAULT_CLIP_FRAMES = 31


def prepare_model(model: nn.Module, device: str | torch.device = "cpu", channels_last: bool = True) -> nn.Module:
    """Eval mode, on the device, weights in the input's memory format; in place and idempotent, so a cached
    (or torch.compile'd, prepared first) model can be passed to run_shard again and again."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return model.eval().to(device=resolve_device(device), memory_format=memory_format)


def scan_shard(shard: Shard, classes: ClassList | None = None) -> Folder:
    """The shard's files (after its subset) and the problems found without reading them."""
    classes = resolve_classes(classes)
    if isinstance(shard, CorruptionShard):
        folder = imagenet_c_folder(shard.root, shard.corruption, shard.severity, classes)
    elif isinstance(shard, PerturbationShard):
        folder = imagenet_p_folder(shard.root, shard.perturbation, shard.difficulty, classes)
    else:
        folder = clean_folder(shard.root, classes)
    return folder if shard.subset is None else shard.subset.select(folder)


def _decoder(shard: Shard, preprocessing: Preprocessing, frost_dir: str | Path | None) -> Decoder:
    if isinstance(shard, OnTheFlyShard):
        # Imported here: the corruptions pull in scipy, scikit-image and OpenCV, which other shards never need.
        from evaluators.corruptions import corrupt
        from evaluators.data.onthefly import CorruptedOnTheFly

        # Fail before starting workers on what is not the data's fault (unknown name, missing frost textures).
        corrupt(np.full((224, 224, 3), 128, np.uint8), shard.corruption, shard.severity, 0, frost_dir=frost_dir)
        return CorruptedOnTheFly(shard.corruption, shard.severity, shard.seed, shard.jpeg_quality,
                                 None if frost_dir is None else str(frost_dir))
    if isinstance(shard, CleanShard):
        return CleanImages(preprocessing.resize, preprocessing.crop)
    return Clips() if isinstance(shard, PerturbationShard) else ReleaseImages()


def run_shard(model: nn.Module, shard: Shard, device: str | torch.device = "cpu", precision: str = "fp32",
              batch_size: int = 64, progress: Progress | None = None, *, classes: ClassList | None = None,
              preprocessing: Preprocessing | None = None, allow_missing: bool = False,
              max_batches: int | None = None, workers: int | None = None, channels_last: bool = True,
              deterministic: bool = True, hash_contents: bool = False,
              frost_dir: str | Path | None = None) -> ShardResult:
    """Counts of `model` on `shard`.

    batch_size: images per forward pass (ImageNet-P: frames; whole clips are batched, about batch_size/31).
    progress: called after each batch with the number of files (images; clips for ImageNet-P) done so far,
        usable or not.
    classes: the model's output classes (default ImageNet-1k); preprocessing: mean/std, clean resize/crop.
    allow_missing: skip missing, unreadable and mislabeled files and record them, instead of raising
        DatasetError listing them. max_batches: stop after that many batches (a smoke run; complete=False).
    workers: decoding processes (default: 1 on CPU, up to 16 on CUDA; 0 decodes in this process).
    channels_last / deterministic (cuDNN's fixed algorithm choice) / hash_contents (sha256 of every file's
    bytes into the manifest) / frost_dir (frost textures, for on-the-fly frost).
    """
    started = time.perf_counter()
    device = resolve_device(device)
    precision = check_precision(precision, device)
    if batch_size < 1:
        raise InvalidInputError(f"batch size must be >= 1, got {batch_size}")
    classes = resolve_classes(classes)
    preprocessing = preprocessing or Preprocessing()
    folder = scan_shard(shard, classes)
    check_problems(str(folder.path), folder.problems, allow_missing)
    decoder = _decoder(shard, preprocessing, frost_dir)
    workers = default_workers(device) if workers is None else workers
    per_batch = batch_size
    if isinstance(shard, PerturbationShard):
        per_batch = max(1, batch_size // CLIP_FRAMES.get(shard.perturbation, DEFAULT_CLIP_FRAMES))
    loaded = load_batches(decoder, folder, per_batch, workers, device.type == "cuda", hash_contents)
    pass_ = _Pass(prepare_model(model, device, channels_last), Normalizer(preprocessing, device, channels_last),
                  precision, batch_size, progress)

    with closing(loaded), numerics(device, deterministic), torch.inference_mode():
        batches = _limited(loaded, max_batches, pass_)
        if isinstance(shard, PerturbationShard):
            counter = SequenceCounter(shard.perturbation, shard.difficulty)
            pass_.videos(batches, counter)
            counts = counter.total
        else:
            images = TopKCounter(device)
            pass_.images(batches, images, len(classes))
            counts = images.counts()
        numeric = numeric_settings(device)

    relpath = {i: s.relpath for i, s in enumerate(folder.samples)}
    failed = {relpath[i]: reason for i, reason in pass_.failed.items()}
    check_problems(str(folder.path), failed, allow_missing)
    used = [folder.samples[i] for i in sorted(pass_.used)]
    contents = {folder.prefix + relpath[i]: d for i, d in pass_.digests.items() if i in pass_.used}
    manifest = Manifest.build(((folder.prefix + s.relpath, s.size) for s in used),
                              contents if hash_contents else None)
    settings: dict[str, Any] = {
        "device": str(device), "precision": precision, "batch_size": batch_size, "channels_last": channels_last,
        "deterministic": deterministic, "workers": workers, "preprocessing": preprocessing.to_dict(),
        "classes": classes.to_dict(), "allow_missing": allow_missing, "max_batches": max_batches,
        "numerics": numeric,
    }
    return ShardResult(shard, counts, pass_.frames, manifest, {**folder.problems, **failed}, pass_.complete,
                       settings, time.perf_counter() - started)


class _Pass:
    """The state of one pass over a shard's batches."""

    def __init__(self, model: nn.Module, normalizer: Normalizer, precision: str, batch_size: int,
                 progress: Progress | None) -> None:
        self.model, self.normalizer, self.batch_size, self.progress = model, normalizer, batch_size, progress
        self.bf16 = precision == "bf16"
        self.device = normalizer.device
        self.frames = 0
        self.files = 0
        self.used: set[int] = set()
        self.failed: dict[int, str] = {}
        self.digests: dict[int, str] = {}
        self.complete = True

    def logits(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.normalizer(pixels)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            return torch.cat([self.model(chunk) for chunk in x.split(self.batch_size)]).float()

    def accept(self, batch: Batch) -> None:
        self.failed.update(batch.failed)
        self.digests.update(batch.digests)

    def done(self, batch: Batch, indices: list[int], frames: int) -> None:
        self.used.update(indices)
        self.frames += frames
        self.files += len(batch.indices) + len(batch.failed)
        if self.progress is not None:
            self.progress(self.files)

    def images(self, batches: Iterator[Batch], counter: TopKCounter, classes: int) -> None:
        for batch in batches:
            self.accept(batch)
            if batch.indices:
                logits = self.logits(batch.pixels)
                check_logits(logits, classes)
                counter.add(logits, batch.labels.to(self.device, non_blocking=True))
            self.done(batch, batch.indices, len(batch.indices))

    def videos(self, batches: Iterator[Batch], counter: SequenceCounter) -> None:
        # The reference batches clips of equal length; the shard's first clip sets the length.
        length: int | None = None
        for batch in batches:
            self.accept(batch)
            length = length or (batch.lengths[0] if batch.lengths else None)
            keep = [n == length for n in batch.lengths]
            for index, n, ok in zip(batch.indices, batch.lengths, keep, strict=True):
                if not ok:
                    self.failed[index] = f"unreadable: {n} frames, while this shard's clips have {length}"
            pixels = batch.pixels
            if not all(keep):
                clips = pixels.split(batch.lengths)
                pixels = torch.cat([clip for clip, ok in zip(clips, keep, strict=True) if ok] or [pixels[:0]])
            indices = [i for i, ok in zip(batch.indices, keep, strict=True) if ok]
            if indices:
                logits = self.logits(pixels)
                counter.add(logits.view(len(indices), length or 0, logits.shape[-1]))
            self.done(batch, indices, len(indices) * (length or 0))


def _limited(batches: Iterator[Batch], max_batches: int | None, pass_: _Pass) -> Iterator[Batch]:
    for number, batch in enumerate(batches):
        if max_batches is not None and number >= max_batches:
            pass_.complete = False
            return
        yield batch
