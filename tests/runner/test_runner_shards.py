"""Shard specs: stable keys, JSON round trips, checked fields; provenance records what DESIGN.md §4 asks."""

from __future__ import annotations

import json

import pytest

from evaluators.data import Subset
from evaluators.errors import InvalidInputError, UnknownNameError
from evaluators.runner import (
    CleanShard,
    CorruptionShard,
    OnTheFlyShard,
    PerturbationShard,
    environment,
    run_shard,
    shard_from_dict,
)

SHARDS = [
    (CleanShard(root="/data/val"), "clean"),
    (CorruptionShard(root="/data/c", corruption="fog", severity=3), "imagenet_c/fog/3"),
    (OnTheFlyShard(root="/data/val", corruption="frost", severity=2, seed=7),
     "imagenet_c_on_the_fly/frost/2/seed7/jpeg85"),
    (OnTheFlyShard(root="/data/val", corruption="fog", severity=1, jpeg_quality=None),
     "imagenet_c_on_the_fly/fog/1/seed0/raw"),
    (PerturbationShard(root="/data/p", perturbation="gaussian_noise", difficulty=2), "imagenet_p/gaussian_noise/2"),
    (CorruptionShard(root="/data/c", corruption="snow", severity=5, subset=Subset(per_class=5, seed=1)),
     "imagenet_c/snow/5"),
]


@pytest.mark.parametrize(("shard", "key"), SHARDS)
def test_keys_and_json_round_trip(shard, key):
    assert shard.key == key
    data = json.loads(json.dumps(shard.to_dict()))
    assert shard_from_dict(data) == shard and data["kind"] == shard.kind


def test_fields_are_checked():
    with pytest.raises(UnknownNameError, match="unknown corruption 'fgo'"):
        CorruptionShard(root="/c", corruption="fgo", severity=1)
    with pytest.raises(InvalidInputError, match="severity"):
        CorruptionShard(root="/c", corruption="fog", severity=6)
    with pytest.raises(InvalidInputError, match="difficulty"):
        PerturbationShard(root="/p", perturbation="rotate", difficulty=4)
    with pytest.raises(UnknownNameError):
        PerturbationShard(root="/p", perturbation="impulse_noise")
    with pytest.raises(InvalidInputError, match="unknown shard kind"):
        shard_from_dict({"kind": "imagenet_x"})
    with pytest.raises(InvalidInputError, match="unexpected fields"):
        shard_from_dict({"kind": "clean", "root": "/v", "colour": "red"})


def test_provenance(tmp_path, datasets, classes, tiny):
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights")
    result = run_shard(tiny, CorruptionShard(root=str(datasets["c"]), corruption="brightness", severity=5),
                       classes=classes, batch_size=8)
    record = json.loads(json.dumps(result.provenance(weights=weights, model="tiny")))
    assert record["weights_sha256"] == "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c"
    assert record["manifest_sha256"] == result.manifest.sha256 and record["model"] == "tiny"
    assert record["precision"] == "fp32" and record["batch_size"] == 8 and record["channels_last"] is True
    assert record["preprocessing"] == {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                                       "resize": 256, "crop": 224}
    assert record["classes"]["classes"] == 8 and len(record["classes"]["sha256"]) == 64
    for key in ("cpbench", "torch", "torchvision", "cuda", "cudnn", "device_name", "pillow", "pyav", "numerics",
                "decoders", "git"):
        assert key in record
    assert environment()["cpbench"] == record["cpbench"]


def test_lazy_exports_are_the_objects_not_submodules():
    """evaluators.runner loads its torch-backed names on first use; none may be shadowed by a submodule."""
    import importlib
    import pkgutil
    import types

    import evaluators.runner as runner

    for module in pkgutil.iter_modules(runner.__path__):
        importlib.import_module(f"evaluators.runner.{module.name}")
    for name in runner.__all__:
        assert not isinstance(getattr(runner, name), types.ModuleType), name
