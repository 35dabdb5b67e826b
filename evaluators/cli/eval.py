"""`cpbench eval`: evaluate a model on ImageNet-C / ImageNet-P / clean validation folders, print a table and
write the counts, metrics and provenance as JSON.

ImageNet-C is normalised by the published AlexNet table only when the data is the full standard set (15
corruptions x 5 severities x 50,000 images of the 1000 classes, nothing skipped); otherwise only raw values are
printed, unless `--baseline` names another `cpbench eval` JSON (e.g. AlexNet's on the same data).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from evaluators.benchmarks import ALL_CORRUPTIONS, ALL_PERTURBATIONS, CORRUPTIONS, SEVERITIES, perturbation_folder
from evaluators.cli.common import read_json, user_errors
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
from evaluators.runner import (
    CleanShard,
    CorruptionShard,
    PerturbationShard,
    Shard,
    ShardResult,
    provenance,
    run_shard,
    scan_shard,
)

FORMAT = "cpbench-eval/1"
STANDARD_IMAGES = 50_000  # per (corruption, severity) in the release


class PrecisionChoice(StrEnum):
    fp32 = "fp32"
    bf16 = "bf16"


def _names(values: list[str] | None, known: tuple[str, ...], what: str) -> list[str] | None:
    """Comma-separated and/or repeated option values, checked against the known names."""
    if not values:
        return None
    names = [n.strip() for value in values for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownNameError(f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _present(root: Path, known: tuple[str, ...], folder: Any, what: str) -> list[str]:
    if not root.is_dir():
        raise DatasetError(f"{root}: folder does not exist")
    names = [n for n in known if (root / folder(n)).is_dir()]
    if not names:
        raise DatasetError(f"{root}: no {what} folders found (expected e.g. {root / folder(known[0])})")
    return names


def _plan(imagenet_c: Path | None, imagenet_p: Path | None, val: Path | None, corruptions: list[str] | None,
          perturbations: list[str] | None, difficulty: int, subset: Subset | None) -> list[Shard]:
    shards: list[Shard] = []
    if val is not None:
        shards.append(CleanShard(root=str(val), subset=subset))
    if imagenet_c is not None:
        for corruption in corruptions or _present(imagenet_c, ALL_CORRUPTIONS, str, "corruption"):
            shards += [CorruptionShard(root=str(imagenet_c), corruption=corruption, severity=s, subset=subset)
                       for s in SEVERITIES]
    if imagenet_p is not None:
        names = perturbations or _present(imagenet_p, ALL_PERTURBATIONS,
                                          lambda p: perturbation_folder(p, difficulty), "perturbation")
        shards += [PerturbationShard(root=str(imagenet_p), perturbation=p, difficulty=difficulty, subset=subset)
                   for p in names]
    if not shards:
        raise InvalidInputError("nothing to evaluate: give --imagenet-c, --imagenet-p and/or --val")
    return shards


def _baseline(path: Path) -> tuple[ImageNetCBaseline | None, ImageNetPBaseline | None]:
    """The ImageNet-C and ImageNet-P baselines in another `cpbench eval` JSON (each None if it has none)."""
    data = read_json(path)
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise InvalidInputError(f"{path}: not a `cpbench eval` JSON (format {FORMAT})")
    name = f"{data.get('model', {}).get('name', 'baseline')} ({path.name})"
    c = p = None
    if data.get("imagenet_c"):
        counts = {k: {s: TopKCounts.from_dict(v) for s, v in per.items()}
                  for k, per in data["imagenet_c"]["counts"].items()}
        clean = TopKCounts.from_dict(data["clean"]["counts"]) if data.get("clean") else None
        c = ImageNetCBaseline.from_counts(name, "measured", counts, clean, source=str(path))
    if data.get("imagenet_p"):
        counts_p = {k: SequenceCounts.from_dict(v) for k, v in data["imagenet_p"]["counts"].items()}
        p = ImageNetPBaseline.from_counts(name, "measured", counts_p, source=str(path))
    return c, p


def _standard(results: list[ShardResult], classes: ClassList, subset: Subset | None) -> bool:
    """The full standard ImageNet-C set, so that the published AlexNet table applies."""
    shards = {(r.shard.corruption, r.shard.severity): r for r in results if isinstance(r.shard, CorruptionShard)}
    return (subset is None and classes.is_imagenet_1k
            and all((c, s) in shards for c in CORRUPTIONS for s in SEVERITIES)
            and all(r.counts.images == STANDARD_IMAGES and not r.skipped for r in shards.values()))


def _section(results: list[ShardResult], root: Path) -> dict[str, Any]:
    return {"root": str(root),
            "manifests": {r.key: r.manifest.to_dict() for r in results},
            "skipped": {r.key: r.skipped for r in results if r.skipped}}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _print_c(console: Console, metrics: Mapping[str, Any], note: str | None) -> None:
    normalised = metrics["baseline"] is not None
    title = "ImageNet-C top-1 error %" + (f", CE % of {metrics['baseline']['name']}" if normalised else " (raw)")
    table = Table(title=title)
    columns = ["corruption", *(f"s{s}" for s in SEVERITIES), "mean"]
    columns += ["CE"] if normalised else []
    columns += ["rel. CE"] if metrics["relative_ce"] else []
    for column in columns:
        table.add_column(column, justify="left" if column == "corruption" else "right", no_wrap=True)
    ce = {**(metrics["ce"] or {}), **(metrics["extra_ce"] or {})}
    relative = {**(metrics["relative_ce"] or {}), **(metrics["extra_relative_ce"] or {})}
    for name, errors in metrics["errors"].items():
        row = [name + ("" if name in CORRUPTIONS else " (extra)"), *map(_pct, errors), _pct(sum(errors) / 5)]
        row += [_pct(ce.get(name))] if normalised else []
        row += [_pct(relative.get(name))] if relative else []
        table.add_row(*row)
    console.print(table)
    summary = [f"mean error {_pct(metrics['mean_error'])}"]
    if metrics["mce"] is not None:
        summary.append(f"mCE {_pct(metrics['mce'])}")
    if metrics["relative_mce"] is not None:
        summary.append(f"relative mCE {_pct(metrics['relative_mce'])}")
    console.print("   ".join(summary))
    if note:
        console.print(note)


def _print_p(console: Console, metrics: Mapping[str, Any], difficulty: int) -> None:
    normalised = metrics["baseline"] is not None
    table = Table(title=f"ImageNet-P, difficulty {difficulty}"
                  + (f", normalised: % of {metrics['baseline']['name']}" if normalised else " (raw)"))
    columns = ["perturbation", "FP %", "T5D"] + (["FP norm.", "T5D norm."] if normalised else [])
    for column in columns:
        table.add_column(column, justify="left" if column == "perturbation" else "right", no_wrap=True)
    for name, fp in metrics["flip_probability_raw"].items():
        row = [name, _pct(fp), f"{metrics['top5_distance_raw'][name]:.3f}"]
        row += [_pct(metrics["fp"][name]), _pct(metrics["t5d"][name])] if normalised else []
        table.add_row(*row)
    console.print(table)
    if metrics["mfp"] is not None:
        console.print(f"mFP {_pct(metrics['mfp'])}   mT5D {_pct(metrics['mt5d'])}")
    if not normalised:
        console.print("FP and T5D are raw: ImageNet-P has no published AlexNet table; pass --baseline to normalise.")


def eval_command(
    model: Annotated[str, typer.Option("--model", help="Zoo name, the paper's arch alias or a torchvision name.")],
    checkpoint: Annotated[Path | None, typer.Option(help="Weights (.safetensors, .pth, .pth.tar); default: "
                                                    "random initialisation.")] = None,
    imagenet_c: Annotated[Path | None, typer.Option("--imagenet-c", help="<dir>/<corruption>/<severity>/<wnid>/*."
                                                    "JPEG")] = None,
    imagenet_p: Annotated[Path | None, typer.Option("--imagenet-p", help="<dir>/<perturbation>[_2|_3]/<wnid>/"
                                                    "*.mp4")] = None,
    val: Annotated[Path | None, typer.Option("--val", help="Clean validation folder <dir>/<wnid>/*.")] = None,
    corruptions: Annotated[list[str] | None, typer.Option(help="Comma-separated; default: every corruption "
                                                          "folder present.")] = None,
    perturbations: Annotated[list[str] | None, typer.Option(help="Comma-separated; default: every perturbation "
                                                            "folder present.")] = None,
    difficulty: Annotated[int, typer.Option(min=1, max=3, help="ImageNet-P difficulty.")] = 1,
    subset: Annotated[str | None, typer.Option(help="N images per class, or a file list (<wnid>/<file> per "
                                               "line, e.g. RobustBench's 5,000 ids).")] = None,
    precision: Annotated[PrecisionChoice, typer.Option(help="fp32 (exact) or bf16 autocast.")] = PrecisionChoice.fp32,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    batch_size: Annotated[int, typer.Option(min=1, help="Images per forward pass.")] = 64,
    workers: Annotated[int | None, typer.Option(min=0, help="Decoding processes (default: 1 on CPU, up to 16 "
                                                "on CUDA).")] = None,
    classes: Annotated[Path | None, typer.Option(help="The model's class list, one wnid per line in output order "
                                                 "(default: the 1000 ImageNet classes).")] = None,
    allow_missing: Annotated[bool, typer.Option("--allow-missing", help="Skip missing, unreadable and "
                                                "mislabeled files, and record them.")] = False,
    baseline: Annotated[Path | None, typer.Option(help="Another `cpbench eval` JSON to normalise against.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result JSON here.")] = None,
) -> None:
    """Evaluate a model on ImageNet-C / ImageNet-P / clean folders: counts, metrics and provenance."""
    console = Console()
    with user_errors():
        from evaluators.models import create_model, model_info, sha256_file  # builds the zoo: only when evaluating

        class_list = ClassList.from_file(classes) if classes is not None else ClassList.imagenet()
        chosen = Subset.parse(subset) if subset is not None else None
        shards = _plan(imagenet_c, imagenet_p, val, _names(corruptions, ALL_CORRUPTIONS, "corruption"),
                       _names(perturbations, ALL_PERTURBATIONS, "perturbation"), difficulty, chosen)
        baselines = _baseline(baseline) if baseline is not None else (None, None)
        # Scan everything first: a bad file in the last shard should not cost the hours before it.
        totals = {}
        for shard in shards:
            folder = scan_shard(shard, class_list)
            check_problems(str(folder.path), folder.problems, allow_missing)
            totals[shard.key] = len(folder)
        info = model_info(model)
        net = create_model(model, num_classes=len(class_list), checkpoint=checkpoint)
        weights_sha256 = sha256_file(checkpoint) if checkpoint is not None else None

        results: list[ShardResult] = []
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        progress_console = Console(stderr=True)
        with Progress(*columns, console=progress_console, transient=True,
                      disable=not progress_console.is_terminal) as bar:
            overall = bar.add_task("all shards", total=sum(totals.values()))
            done_before = 0
            for shard in shards:
                task = bar.add_task(shard.key, total=totals[shard.key])

                def advance(files: int, task: Any = task, base: int = done_before) -> None:
                    bar.update(task, completed=files)
                    bar.update(overall, completed=base + files)

                results.append(run_shard(net, shard, device, precision.value, batch_size, advance, classes=class_list,
                                         preprocessing=info.preprocessing, allow_missing=allow_missing,
                                         workers=workers))
                done_before += totals[shard.key]
                bar.remove_task(task)

        result = _result(results, model, checkpoint, weights_sha256, class_list, chosen, baselines, baseline,
                         imagenet_c, imagenet_p, val, difficulty)
        _print(console, result, difficulty)
        if json_out is not None:
            json_out.write_text(json.dumps(result, indent=2) + "\n")
            console.print(f"wrote {json_out}")


def _result(results: list[ShardResult], model: str, checkpoint: Path | None, weights_sha256: str | None,
            classes: ClassList, subset: Subset | None,
            baselines: tuple[ImageNetCBaseline | None, ImageNetPBaseline | None], baseline_file: Path | None,
            imagenet_c: Path | None, imagenet_p: Path | None, val: Path | None, difficulty: int) -> dict[str, Any]:
    clean = [r for r in results if isinstance(r.shard, CleanShard)]
    c_results = [r for r in results if isinstance(r.shard, CorruptionShard)]
    p_results = [r for r in results if isinstance(r.shard, PerturbationShard)]
    clean_counts = clean[0].counts if clean and isinstance(clean[0].counts, TopKCounts) else None
    result: dict[str, Any] = {"format": FORMAT,
                              "model": {"name": model, "checkpoint": None if checkpoint is None else str(checkpoint),
                                        "weights_sha256": weights_sha256},
                              "subset": None if subset is None else subset.to_dict(),
                              "clean": None, "imagenet_c": None, "imagenet_p": None}
    if clean_counts is not None and val is not None:
        result["clean"] = {"counts": clean_counts.to_dict(), **_section(clean, val)}
    if c_results and imagenet_c is not None:
        counts: dict[str, dict[str, Any]] = {}
        for r in c_results:
            shard = r.shard
            if isinstance(shard, CorruptionShard):
                counts.setdefault(shard.corruption, {})[str(shard.severity)] = r.counts
        standard = _standard(c_results, classes, subset)
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
            ("published AlexNet table" if baselines[0] is None else str(baseline_file)),
            "note": note, "metrics": report.to_dict(), **_section(c_results, imagenet_c)}
    if p_results and imagenet_p is not None:
        p_counts = {r.shard.perturbation: r.counts for r in p_results
                    if isinstance(r.shard, PerturbationShard) and isinstance(r.counts, SequenceCounts)}
        report_p = imagenet_p_report_from_counts(p_counts, baselines[1])
        result["imagenet_p"] = {
            "counts": {p: v.to_dict() for p, v in p_counts.items()}, "difficulty": difficulty,
            "normalised_by": None if baselines[1] is None else str(baseline_file),
            "metrics": report_p.to_dict(), **_section(p_results, imagenet_p)}
    manifests = {r.key: r.manifest.sha256 for r in results}
    result["provenance"] = provenance(results[0].settings, manifest_sha256=combined_sha256(manifests),
                                      weights_sha256=weights_sha256, model=model)
    return result


def _print(console: Console, result: Mapping[str, Any], difficulty: int) -> None:
    if result["clean"]:
        counts = TopKCounts.from_dict(result["clean"]["counts"])
        console.print(f"clean: top-1 error {100 * counts.top1_error:.2f} %   "
                      f"top-5 error {100 * counts.top5_error:.2f} %   ({counts.images} images)")
    if result["imagenet_c"]:
        _print_c(console, result["imagenet_c"]["metrics"], result["imagenet_c"]["note"])
    if result["imagenet_p"]:
        _print_p(console, result["imagenet_p"]["metrics"], difficulty)
    skipped = sum(len(v) for section in ("clean", "imagenet_c", "imagenet_p") if result[section]
                  for v in result[section]["skipped"].values())
    if skipped:
        console.print(f"skipped {skipped} file(s) (--allow-missing); the JSON lists them")
