"""A whole local evaluation: plan the shards of ImageNet-C / ImageNet-P / clean folders, run them, and give
the counts, metrics and provenance as one JSON-ready dict (what `cpbench eval` writes).

ImageNet-C is normalised by the published AlexNet table only when the data is the full standard set (15
corruptions x 5 severities x 50,000 images of the 1000 classes, nothing skipped); otherwise only raw values,
unless a baseline (another evaluation's JSON, e.g. AlexNet's on the same data) is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluators.benchmarks import (
    ALL_CORRUPTIONS,
    ALL_PERTURBATIONS,
    SEVERITIES,
    covers_the_benchmark,
    perturbation_folder,
)
from evaluators.data.classes import ClassList
from evaluators.data.manifest import combined_sha256
from evaluators.data.problems import check_problems
from evaluators.data.subsets import Subset
from evaluators.errors import DatasetError, InvalidInputError, UnknownNameError
from evaluators.metrics import (
    ALEXNET_IMAGENET_C,
    ImageNetCBaseline,
    ImageNetPBaseline,
    SequenceCounts,
    TopKCounts,
    imagenet_c_report_from_counts,
    imagenet_p_report_from_counts,
)
from evaluators.runner.records import provenance
from evaluators.runner.results import ShardResult
from evaluators.runner.run import run_shard, scan_shard
from evaluators.runner.shards import CleanShard, CorruptionShard, PerturbationShard, Shard

FORMAT = "cpbench-eval/1"
STANDARD_IMAGES = 50_000  # per (corruption, severity) in the release
# (shard key, files done in it) after every batch; the plan's totals come first through `on_plan`.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Request:
    model: str
    checkpoint: Path | None = None
    imagenet_c: Path | None = None
    imagenet_p: Path | None = None
    val: Path | None = None
    corruptions: Sequence[str] | None = None  # default: every corruption folder present
    perturbations: Sequence[str] | None = None  # default: every perturbation folder present
    difficulty: int = 1
    subset: str | None = None  # N per class, or a file list
    precision: str = "fp32"
    device: str = "cpu"
    batch_size: int = 64
    workers: int | None = None
    classes: Path | None = None  # the model's class list file (default: the 1000 ImageNet classes)
    allow_missing: bool = False
    baseline: Path | None = None  # another evaluation's JSON


def _checked(names: Sequence[str] | None, known: tuple[str, ...], what: str) -> list[str] | None:
    if not names:
        return None
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownNameError(f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _present(root: Path, known: tuple[str, ...], folder: Callable[[str], str], what: str) -> list[str]:
    if not root.is_dir():
        raise DatasetError(f"{root}: folder does not exist")
    names = [n for n in known if (root / folder(n)).is_dir()]
    if not names:
        raise DatasetError(f"{root}: no {what} folders found (expected e.g. {root / folder(known[0])})")
    return names


def plan(request: Request, subset: Subset | None) -> list[Shard]:
    shards: list[Shard] = []
    if request.val is not None:
        shards.append(CleanShard(root=str(request.val), subset=subset))
    if request.imagenet_c is not None:
        root = request.imagenet_c
        for corruption in (_checked(request.corruptions, ALL_CORRUPTIONS, "corruption")
                           or _present(root, ALL_CORRUPTIONS, str, "corruption")):
            shards += [CorruptionShard(root=str(root), corruption=corruption, severity=s, subset=subset)
                       for s in SEVERITIES]
    if request.imagenet_p is not None:
        root = request.imagenet_p
        names = (_checked(request.perturbations, ALL_PERTURBATIONS, "perturbation")
                 or _present(root, ALL_PERTURBATIONS, lambda p: perturbation_folder(p, request.difficulty),
                             "perturbation"))
        shards += [PerturbationShard(root=str(root), perturbation=p, difficulty=request.difficulty, subset=subset)
                   for p in names]
    if not shards:
        raise InvalidInputError("nothing to evaluate: give --imagenet-c, --imagenet-p and/or --val")
    return shards


def load_baselines(data: Any, source: str) -> tuple[ImageNetCBaseline | None, ImageNetPBaseline | None]:
    """The ImageNet-C and ImageNet-P baselines in another evaluation's JSON (each None if it has none)."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise InvalidInputError(f"{source}: not a `cpbench eval` JSON (format {FORMAT})")
    name = f"{data.get('model', {}).get('name', 'baseline')} ({Path(source).name})"
    c = p = None
    if data.get("imagenet_c"):
        counts = {k: {s: TopKCounts.from_dict(v) for s, v in per.items()}
                  for k, per in data["imagenet_c"]["counts"].items()}
        clean = TopKCounts.from_dict(data["clean"]["counts"]) if data.get("clean") else None
        c = ImageNetCBaseline.from_counts(name, "measured", counts, clean, source=source)
    if data.get("imagenet_p"):
        counts_p = {k: SequenceCounts.from_dict(v) for k, v in data["imagenet_p"]["counts"].items()}
        p = ImageNetPBaseline.from_counts(name, "measured", counts_p, source=source)
    return c, p


def is_standard_set(results: list[ShardResult], classes: ClassList, subset: Subset | None) -> bool:
    """The full standard ImageNet-C set, so that the published AlexNet table applies."""
    shards = {(r.shard.corruption, r.shard.severity): r for r in results if isinstance(r.shard, CorruptionShard)}
    return (subset is None and classes.is_imagenet_1k and covers_the_benchmark(shards)
            and all(r.counts.images == STANDARD_IMAGES and not r.skipped for r in shards.values()))


def evaluate(request: Request, baseline_data: Any = None, progress: Progress | None = None,
             on_plan: Callable[[dict[str, int]], None] | None = None) -> dict[str, Any]:
    """Runs every shard of the request and returns the result dict (counts at
    result["imagenet_c"]["counts"][corruption][str(severity)], result["clean"]["counts"],
    result["imagenet_p"]["counts"][perturbation], plus metrics and provenance)."""
    from evaluators.models import create_model, model_info, sha256_file  # builds the zoo: only when evaluating

    classes = ClassList.from_file(request.classes) if request.classes is not None else ClassList.imagenet()
    subset = Subset.parse(request.subset) if request.subset is not None else None
    shards = plan(request, subset)
    baselines = (load_baselines(baseline_data, str(request.baseline)) if request.baseline is not None
                 else (None, None))
    # Scan everything first: a bad file in the last shard should not cost the hours before it.
    totals = {}
    for shard in shards:
        folder = scan_shard(shard, classes)
        check_problems(str(folder.path), folder.problems, request.allow_missing)
        totals[shard.key] = len(folder)
    if on_plan is not None:
        on_plan(totals)
    info = model_info(request.model)
    net = create_model(request.model, num_classes=len(classes), checkpoint=request.checkpoint)
    weights_sha256 = sha256_file(request.checkpoint) if request.checkpoint is not None else None
    results = [run_shard(net, shard, request.device, request.precision, request.batch_size,
                         None if progress is None else lambda files, key=shard.key: progress(key, files),
                         classes=classes, preprocessing=info.preprocessing, allow_missing=request.allow_missing,
                         workers=request.workers) for shard in shards]
    return _result(results, request, weights_sha256, classes, subset, baselines)


def _section(results: list[ShardResult], root: Path) -> dict[str, Any]:
    return {"root": str(root),
            "manifests": {r.key: r.manifest.to_dict() for r in results},
            "skipped": {r.key: r.skipped for r in results if r.skipped}}


def _result(results: list[ShardResult], request: Request, weights_sha256: str | None, classes: ClassList,
            subset: Subset | None,
            baselines: tuple[ImageNetCBaseline | None, ImageNetPBaseline | None]) -> dict[str, Any]:
    clean = [r for r in results if isinstance(r.shard, CleanShard)]
    c_results = [r for r in results if isinstance(r.shard, CorruptionShard)]
    p_results = [r for r in results if isinstance(r.shard, PerturbationShard)]
    clean_counts = clean[0].counts if clean and isinstance(clean[0].counts, TopKCounts) else None
    result: dict[str, Any] = {
        "format": FORMAT,
        "model": {"name": request.model, "checkpoint": None if request.checkpoint is None else str(request.checkpoint),
                  "weights_sha256": weights_sha256},
        "subset": None if subset is None else subset.to_dict(),
        "clean": None, "imagenet_c": None, "imagenet_p": None}
    if clean_counts is not None and request.val is not None:
        result["clean"] = {"counts": clean_counts.to_dict(), **_section(clean, request.val)}
    if c_results and request.imagenet_c is not None:
        counts: dict[str, dict[str, TopKCounts]] = {}
        for r in c_results:
            shard = r.shard
            if isinstance(shard, CorruptionShard) and isinstance(r.counts, TopKCounts):
                counts.setdefault(shard.corruption, {})[str(shard.severity)] = r.counts
        standard = is_standard_set(c_results, classes, subset)
        c_baseline = baselines[0] or (ALEXNET_IMAGENET_C if standard else None)
        note = None
        if c_baseline is None:
            note = ("Raw errors only: the data is not the full standard ImageNet-C set (15 corruptions x 5 severities "
                    "x 50,000 images, 1000 classes), so the published AlexNet table does not apply; pass --baseline.")
        report = imagenet_c_report_from_counts(counts, clean_counts, c_baseline)
        result["imagenet_c"] = {
            "counts": {c: {s: v.to_dict() for s, v in per.items()} for c, per in counts.items()},
            "standard_set": standard,
            "normalised_by": None if c_baseline is None else
            ("published AlexNet table" if baselines[0] is None else str(request.baseline)),
            "note": note, "metrics": report.to_dict(), **_section(c_results, request.imagenet_c)}
    if p_results and request.imagenet_p is not None:
        p_counts = {r.shard.perturbation: r.counts for r in p_results
                    if isinstance(r.shard, PerturbationShard) and isinstance(r.counts, SequenceCounts)}
        report_p = imagenet_p_report_from_counts(p_counts, baselines[1])
        result["imagenet_p"] = {
            "counts": {p: v.to_dict() for p, v in p_counts.items()}, "difficulty": request.difficulty,
            "normalised_by": None if baselines[1] is None else str(request.baseline),
            "metrics": report_p.to_dict(), **_section(p_results, request.imagenet_p)}
    manifests = {r.key: r.manifest.sha256 for r in results}
    result["provenance"] = provenance(results[0].settings, manifest_sha256=combined_sha256(manifests),
                                      weights_sha256=weights_sha256, model=request.model)
    return result
