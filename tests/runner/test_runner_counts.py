"""run_shard on ImageNet-C and clean folders: counts equal the reference loop's, whatever the batch size,
worker count or memory format; exact input arithmetic; progress, smoke runs, bf16 and determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

from evaluators.data import Preprocessing
from evaluators.errors import InvalidInputError
from evaluators.runner import CleanShard, CorruptionShard, cpu_has_native_bf16, run_shard
from evaluators.runner.normalize import Normalizer


def c_shard(datasets, corruption="gaussian_noise", severity=3, **kwargs):
    return CorruptionShard(root=str(datasets["c"]), corruption=corruption, severity=severity, **kwargs)


@pytest.mark.parametrize(("corruption", "severity"), [("gaussian_noise", 5), ("brightness", 2)])
def test_imagenet_c_counts_equal_the_reference_loop(datasets, classes, tiny, reference, corruption, severity):
    result = run_shard(tiny, c_shard(datasets, corruption, severity), classes=classes, batch_size=5)
    expected = reference["topk"](tiny, datasets["c"] / corruption / str(severity))
    assert result.counts == expected
    assert result.images == expected.images == 16 and result.complete and not result.skipped
    assert 0 < expected.top5_correct < 16  # the comparison means something


def test_resnet18_counts_channels_last_and_not(datasets, classes, reference):
    torch.manual_seed(1)
    model = torchvision.models.resnet18(num_classes=len(classes))
    expected = reference["topk"](model, datasets["c"] / "brightness" / "4")
    for channels_last in (True, False):
        result = run_shard(model, c_shard(datasets, "brightness", 4), classes=classes, batch_size=16,
                           channels_last=channels_last)
        assert result.counts == expected


def test_clean_protocol_resizes_and_crops(datasets, classes, tiny, reference):
    result = run_shard(tiny, CleanShard(root=str(datasets["val"])), classes=classes, batch_size=7)
    assert result.counts == reference["topk"](tiny, datasets["val"], clean=True)
    assert {Image.open(p).size for p in datasets["val"].glob("*/*")} != {(224, 224)}  # really resized


def test_input_bits_equal_totensor_normalize(datasets):
    """The device-side conversion gives the reference's float32 input bit for bit."""
    paths = sorted((datasets["c"] / "gaussian_noise" / "5").glob("*/*"))[:6]
    images = [Image.open(p).convert("RGB") for p in paths]
    normalize = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    expected = torch.stack([normalize(T.functional.to_tensor(image)) for image in images])
    pixels = torch.from_numpy(np.stack([np.asarray(image) for image in images]))
    for channels_last in (True, False):
        got = Normalizer(Preprocessing(), torch.device("cpu"), channels_last)(pixels)
        assert got.dtype == torch.float32 and torch.equal(got, expected)
        assert got.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def test_batch_size_and_workers_do_not_change_counts(datasets, classes, tiny):
    runs = [run_shard(tiny, c_shard(datasets), classes=classes, batch_size=b, workers=w)
            for b, w in ((1, 0), (3, 2), (64, 1))]
    assert runs[0].counts == runs[1].counts == runs[2].counts
    assert runs[0].manifest == runs[1].manifest == runs[2].manifest


def test_progress_counts_files_and_max_batches_stops_early(datasets, classes, tiny):
    seen: list[int] = []
    full = run_shard(tiny, c_shard(datasets), classes=classes, batch_size=5, progress=seen.append)
    assert seen == [5, 10, 15, 16] and full.complete
    smoke = run_shard(tiny, c_shard(datasets), classes=classes, batch_size=5, max_batches=2)
    assert not smoke.complete and smoke.images == smoke.counts.images == 10 and smoke.manifest.files == 10


def test_default_class_list_is_imagenet_1k(datasets):
    """Labels are indices among the 1000 ImageNet wnids, not among the 8 folders present."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 1000))
    result = run_shard(model, c_shard(datasets), batch_size=16)
    assert result.settings["classes"]["name"] == "imagenet-1k" and result.counts.images == 16
    with pytest.raises(InvalidInputError, match="class list has 1000"):
        run_shard(torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 8)),
                  c_shard(datasets), batch_size=16)


def test_deterministic(datasets, classes, tiny):
    first = run_shard(tiny, c_shard(datasets), classes=classes, hash_contents=True)
    second = run_shard(tiny, c_shard(datasets), classes=classes, hash_contents=True)
    assert first.counts == second.counts and first.manifest == second.manifest
    assert first.manifest.content_sha256 is not None


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16")
def test_bf16_runs_and_agrees(datasets, classes, tiny):
    fp32 = run_shard(tiny, c_shard(datasets, "brightness", 1), classes=classes)
    bf16 = run_shard(tiny, c_shard(datasets, "brightness", 1), classes=classes, precision="bf16")
    assert bf16.settings["precision"] == "bf16" and bf16.counts.images == fp32.counts.images
    assert abs(bf16.counts.top5_correct - fp32.counts.top5_correct) <= 2


@pytest.mark.skipif(cpu_has_native_bf16(), reason="this CPU has native bf16")
def test_bf16_refused_on_emulating_cpus(datasets, classes, tiny):
    with pytest.raises(InvalidInputError, match="AVX512-BF16 or AMX"):
        run_shard(tiny, c_shard(datasets), classes=classes, precision="bf16")


def test_bad_arguments(datasets, classes, tiny):
    with pytest.raises(InvalidInputError, match="precision"):
        run_shard(tiny, c_shard(datasets), classes=classes, precision="fp16")
    with pytest.raises(InvalidInputError, match="batch size"):
        run_shard(tiny, c_shard(datasets), classes=classes, batch_size=0)
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInputError, match="CUDA is not available"):
            run_shard(tiny, c_shard(datasets), "cuda", classes=classes)
