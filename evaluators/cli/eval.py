"""`cpbench eval`: evaluate a model on ImageNet-C / ImageNet-P / clean validation folders, print a table and
write the counts, metrics and provenance as JSON (the work itself: evaluators.runner.evaluation)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evaluators.benchmarks import CORRUPTIONS, SEVERITIES
from evaluators.cli.common import progress_bar, read_json, split_names, user_errors


class PrecisionChoice(StrEnum):
    fp32 = "fp32"
    bf16 = "bf16"


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
    for line in ([note] if note else []) + [n for n in metrics["notes"] if not n.startswith("no baseline")]:
        console.print(line)


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


def _print(console: Console, result: Mapping[str, Any], difficulty: int) -> None:
    if result["clean"]:
        counts = result["clean"]["counts"]
        console.print(f"clean: top-1 error {100 * (1 - counts['top1_correct'] / counts['images']):.2f} %   "
                      f"top-5 error {100 * (1 - counts['top5_correct'] / counts['images']):.2f} %   "
                      f"({counts['images']} images)")
    if result["imagenet_c"]:
        _print_c(console, result["imagenet_c"]["metrics"], result["imagenet_c"]["note"])
    if result["imagenet_p"]:
        _print_p(console, result["imagenet_p"]["metrics"], difficulty)
    skipped = sum(len(v) for section in ("clean", "imagenet_c", "imagenet_p") if result[section]
                  for v in result[section]["skipped"].values())
    if skipped:
        console.print(f"skipped {skipped} file(s) (--allow-missing); the JSON lists them")


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
    """Evaluate a model on ImageNet-C / ImageNet-P / clean folders: counts, metrics and provenance.
    ImageNet-C is normalised by the published AlexNet table only on the full standard set; otherwise raw
    values are printed unless --baseline names another `cpbench eval` JSON (e.g. AlexNet's on the same data)."""
    console = Console()
    with user_errors():
        from evaluators.runner.evaluation import Request, evaluate  # torch: only when evaluating

        request = Request(model, checkpoint, imagenet_c, imagenet_p, val, split_names(corruptions) or None,
                          split_names(perturbations) or None, difficulty, subset, precision.value, device,
                          batch_size, workers, classes, allow_missing, baseline)
        baseline_data = read_json(baseline) if baseline is not None else None
        with progress_bar() as bar:
            tasks: dict[str, Any] = {}

            def planned(totals: dict[str, int]) -> None:
                tasks.update({key: bar.add_task(key, total=total) for key, total in totals.items()})

            result = evaluate(request, baseline_data, lambda key, files: bar.update(tasks[key], completed=files),
                              planned)
        _print(console, result, difficulty)
        if json_out is not None:
            json_out.write_text(json.dumps(result, indent=2) + "\n")
            console.print(f"wrote {json_out}")
