"""The evaluation runner: shard specs, `run_shard` (one shard through one model -> counts) and provenance.

The shard specs are plain data, needed by the service to plan an evaluation; everything else pulls in torch.
So the names load on first use (PEP 562): `from evaluators.runner import CorruptionShard` stays light.
"""

from importlib import import_module
from typing import Any

from evaluators.runner.shards import (
    CleanShard,
    CorruptionShard,
    OnTheFlyShard,
    PerturbationShard,
    Shard,
    shard_from_dict,
)

_LAZY = {
    "cpu_has_native_bf16": "evaluators.runner.devices",
    "environment": "evaluators.runner.records",
    "provenance": "evaluators.runner.records",
    "ShardResult": "evaluators.runner.results",
    "prepare_model": "evaluators.runner.run",
    "run_shard": "evaluators.runner.run",
    "scan_shard": "evaluators.runner.run",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
