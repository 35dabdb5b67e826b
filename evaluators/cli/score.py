"""`cpbench score`: mCE / relative mCE and mFP / mT5D from error rates a user already has."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS
from evaluators.cli.common import print_json, read_json, user_errors
from evaluators.errors import InvalidInputError
from evaluators.metrics import ImageNetPBaseline, imagenet_c_report, imagenet_p_report
from evaluators.metrics.validation import check_names

app = typer.Typer(no_args_is_help=True, help="Score error rates you already have (no model needed).")


class Format(StrEnum):
    json = "json"
    table = "table"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


@app.command("imagenet-c")
def score_imagenet_c(file: FileArgument, format: FormatOption = Format.json) -> None:
    """FILE maps each of the 15 corruptions (extras optional) to its five top-1 error rates (fractions,
    severities 1-5); an optional "clean" key holds the clean top-1 error. Normalised by AlexNet."""
    data = read_json(file)
    with user_errors():
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"{file}: expected a JSON object of corruption name -> five error rates")
        errors = {k: v for k, v in data.items() if k != "clean"}
        check_names(errors, ALL_CORRUPTIONS, CORRUPTIONS, "corruption")
        report = imagenet_c_report(errors, data.get("clean")).to_dict()
    if format is Format.json:
        print_json(report)
        return
    table = Table(title=f"ImageNet-C (baseline {report['baseline']['name']} {report['baseline']['version']})")
    columns = ["corruption", "mean error %", "CE %"] + (["relative CE %"] if report["relative_ce"] else [])
    for column in columns:
        table.add_column(column, justify="left" if column == "corruption" else "right")
    ce = {**report["ce"], **(report["extra_ce"] or {})}
    relative = {**(report["relative_ce"] or {}), **(report["extra_relative_ce"] or {})}
    for name, per_severity in report["errors"].items():
        row = [name + ("" if name in CORRUPTIONS else " (extra)"), _fmt(sum(per_severity) / 5), _fmt(ce[name])]
        table.add_row(*row, *([_fmt(relative[name])] if relative else []))
    Console().print(table)
    summary = f"mCE {report['mce']:.1f}"
    if report["relative_mce"] is not None:
        summary += f"   relative mCE {report['relative_mce']:.1f}   clean error {report['clean_error']:.2f}"
    Console().print(summary + f"   mean error {report['mean_error']:.2f}")


@app.command("imagenet-p")
def score_imagenet_p(file: FileArgument, format: FormatOption = Format.json) -> None:
    """FILE: {"model": {"flip_probability": {p: fp}, "top5_distance": {p: t5d}},
    "baseline": {"name": ..., "flip_probability": {...}, "top5_distance": {...}}}; raw FP in [0,1], mean
    top-5 distance in [0,15]. All 10 test perturbations are needed for mFP and mT5D."""
    data = read_json(file)
    with user_errors():
        model, base = _section(data, "model"), _section(data, "baseline")
        baseline = ImageNetPBaseline(str(base.get("name", "baseline")), str(base.get("version", "measured")),
                                     _table(base, "baseline", "flip_probability"),
                                     _table(base, "baseline", "top5_distance"))
        report = imagenet_p_report(_table(model, "model", "flip_probability"),
                                   _table(model, "model", "top5_distance"), baseline).to_dict()
        if report["mfp"] is None or report["mt5d"] is None:
            raise InvalidInputError("no mFP/mT5D: " + "; ".join(report["notes"]))
    if format is Format.json:
        print_json(report)
        return
    table = Table(title=f"ImageNet-P (baseline {report['baseline']['name']})")
    for column in ("perturbation", "FP raw %", "T5D raw", "FP %", "T5D %"):
        table.add_column(column, justify="left" if column == "perturbation" else "right")
    for name, fp in report["flip_probability_raw"].items():
        table.add_row(name, _fmt(fp), f"{report['top5_distance_raw'][name]:.3f}",
                      _fmt(report["fp"][name]), _fmt(report["t5d"][name]))
    Console().print(table)
    Console().print(f"mFP {report['mfp']:.1f}   mT5D {report['mt5d']:.1f}")


def _section(data: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping) or not isinstance(data.get(key), Mapping):
        raise InvalidInputError(f'expected a JSON object with a "{key}" object')
    return data[key]


def _table(section: Mapping[str, Any], where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(section.get(key), Mapping):
        raise InvalidInputError(f'"{where}" needs a "{key}" object mapping perturbation names to values')
    return section[key]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


