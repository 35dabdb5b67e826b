"""The CUDA path (run where a GPU is): input bits equal the CPU reference's, counts equal the reference loop's
in fp32, bf16 runs, and the numeric settings are restored afterwards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

from evaluators.data import Preprocessing
from evaluators.runner import CorruptionShard, PerturbationShard, run_shard
from evaluators.runner.normalize import Normalizer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_input_bits_equal_the_cpu_reference(datasets):
    paths = sorted((datasets["c"] / "gaussian_noise" / "5").glob("*/*"))
    images = [Image.open(p).convert("RGB") for p in paths]
    normalize = T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    expected = torch.stack([normalize(T.functional.to_tensor(image)) for image in images])
    pixels = torch.from_numpy(np.stack([np.asarray(image) for image in images])).pin_memory()
    got = Normalizer(Preprocessing(), torch.device("cuda"), channels_last=True)(pixels)
    assert torch.equal(got.cpu(), expected)


def test_fp32_counts_equal_the_reference_loop(datasets, classes, tiny, reference):
    torch.manual_seed(1)
    resnet = torchvision.models.resnet18(num_classes=len(classes))
    for model in (tiny, resnet):
        shard = CorruptionShard(root=str(datasets["c"]), corruption="gaussian_noise", severity=2)
        result = run_shard(model, shard, "cuda", classes=classes, batch_size=8, workers=2)
        assert result.counts == reference["topk"](model.cpu(), datasets["c"] / "gaussian_noise" / "2")
        p_shard = PerturbationShard(root=str(datasets["p"]), perturbation="translate", difficulty=2)
        result = run_shard(model, p_shard, "cuda", classes=classes, batch_size=64, workers=2)
        assert result.counts == reference["sequences"](model.cpu(), datasets["p"], "translate", 2)


def test_bf16_and_settings_restored(datasets, classes, tiny):
    before = (torch.backends.cudnn.conv.fp32_precision, torch.backends.cudnn.benchmark)
    shard = CorruptionShard(root=str(datasets["c"]), corruption="brightness", severity=3)
    result = run_shard(tiny, shard, "cuda", "bf16", classes=classes, deterministic=False)
    assert result.counts.images == 16 and result.settings["numerics"]["conv_fp32_precision"] == "ieee"
    assert result.settings["numerics"]["cudnn_benchmark"] is True
    assert (torch.backends.cudnn.conv.fp32_precision, torch.backends.cudnn.benchmark) == before
