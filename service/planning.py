"""Cuts an evaluation into shard rows with unique keys, using the library's shard specs.

One shard per (corruption, severity), per (perturbation, difficulty), plus one clean; and a smoke shard: the
first batches of the first shard, run before anything else so that a model that cannot run fails at once.
"""

from __future__ import annotations

from evaluators.data.subsets import Subset
from evaluators.runner import CleanShard, CorruptionShard, OnTheFlyShard, PerturbationShard, Shard
from service.models import Evaluation, ShardStatus, Suite, SuiteKind
from service.models import Shard as ShardRow

SMOKE_PREFIX = "smoke/"


def shard_specs(suite: Suite) -> list[Shard]:
    options = suite.options
    subset = Subset.from_dict(options["subset"]) if options.get("subset") else None
    root = suite.dataset.path
    specs: list[Shard] = []
    if suite.kind == SuiteKind.imagenet_p:
        specs += [PerturbationShard(root=root, subset=subset, perturbation=p, difficulty=d)
                  for p in options["perturbations"] for d in options["difficulties"]]
        return specs
    if suite.clean_dataset is not None:
        specs.append(CleanShard(root=suite.clean_dataset.path, subset=subset))
    for corruption in options["corruptions"]:
        for severity in options["severities"]:
            if suite.kind == SuiteKind.imagenet_c:
                specs.append(CorruptionShard(root=root, subset=subset, corruption=corruption, severity=severity))
            else:
                specs.append(OnTheFlyShard(root=root, subset=subset, corruption=corruption, severity=severity,
                                           seed=options["seed"], jpeg_quality=options["jpeg_quality"]))
    return specs


def plan(evaluation: Evaluation, suite: Suite) -> list[ShardRow]:
    """The evaluation's shard rows: all pending, the smoke shard first (the caller queues it)."""
    specs = shard_specs(suite)
    rows = [ShardRow(evaluation_id=evaluation.id, key=SMOKE_PREFIX + specs[0].key, smoke=True,
                     spec=specs[0].to_dict(), status=ShardStatus.pending)]
    rows += [ShardRow(evaluation_id=evaluation.id, key=spec.key, spec=spec.to_dict(), status=ShardStatus.pending)
             for spec in specs]
    return rows
