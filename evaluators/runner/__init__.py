"""The evaluation runner: shard specs, `run_shard` (one shard through one model -> counts) and provenance."""

from evaluators.runner.devices import cpu_has_native_bf16
from evaluators.runner.provenance import environment, provenance
from evaluators.runner.results import ShardResult
from evaluators.runner.run import prepare_model, run_shard, scan_shard
from evaluators.runner.shards import (
    CleanShard,
    CorruptionShard,
    OnTheFlyShard,
    PerturbationShard,
    Shard,
    shard_from_dict,
)

__all__ = [
    "CleanShard",
    "CorruptionShard",
    "OnTheFlyShard",
    "PerturbationShard",
    "Shard",
    "ShardResult",
    "cpu_has_native_bf16",
    "environment",
    "prepare_model",
    "provenance",
    "run_shard",
    "scan_shard",
    "shard_from_dict",
]
