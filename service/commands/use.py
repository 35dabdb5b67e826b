"""Using a cpbench server: `submit`, `status`, `results`, `leaderboard`, `compare`, `cancel`, `rerun`.
Server and token from --url/--token or CPBENCH_URL/CPBENCH_TOKEN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from evaluators.cli.common import print_json
from service.client import Client
from service.commands.output import TokenOption, UrlOption, console, server_errors

app = typer.Typer()
FAILED_EXIT = 1
ARROW = "↓"


@app.command()
def submit(checkpoint: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                                      help=".safetensors, .pt, .pth or .pth.tar")],
           model: Annotated[str, typer.Option(help="Architecture, e.g. resnet50 or resnet50_gcp.")],
           suite: Annotated[list[str], typer.Option(help="Suite name; repeat for several.")],
           name: Annotated[str | None, typer.Option(help="Display name (default: the file name).")] = None,
           public: Annotated[bool, typer.Option(help="Show on the public leaderboard.")] = False,
           mean: Annotated[str | None, typer.Option(help="Normalisation mean, e.g. 0.5,0.5,0.5.")] = None,
           std: Annotated[str | None, typer.Option(help="Normalisation std.")] = None,
           wait: Annotated[bool, typer.Option(help="Follow the evaluations until they end.")] = False,
           url: UrlOption = None, token: TokenOption = None) -> None:
    """Uploads a checkpoint and queues one evaluation per suite."""
    preprocessing = {key: _floats(key, text) for key, text in (("mean", mean), ("std", std)) if text}
    api = Client(url, token)
    with server_errors():
        with Progress(TextColumn("upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("upload", total=checkpoint.stat().st_size)
            submitted = api.submit(checkpoint, model, suite, name, public, preprocessing or None,
                                   progress=lambda done, _: bar.update(task, completed=done))
        note = "an identical earlier submission" if submitted["duplicate"] else "submitted"
        console.print(f"{note}: submission {submitted['id']}, evaluations "
                      f"{', '.join(map(str, submitted['evaluations']))}")
        if wait:
            _follow(api, submitted["evaluations"])


def _follow(api: Client, evaluation_ids: list[int]) -> None:
    with Live(console=console, refresh_per_second=2, transient=False) as live:
        states = api.wait(evaluation_ids, lambda s: live.update(_progress_table(s)))
    console.line()
    for state in states:
        _print_summary(state)
    if any(state["status"] != "finished" for state in states):
        raise typer.Exit(FAILED_EXIT)


def _progress_table(states: list[dict[str, Any]]) -> Table:
    table = Table("evaluation", "suite", "status", "shards done", "running", "images")
    for state in states:
        progress = state["progress"]
        table.add_row(str(state["id"]), state["suite"]["name"], state["status"],
                      f"{progress.get('done', 0)}/{progress['shards']}", str(progress.get("running", 0)),
                      str(progress["images_done"]))
    return table


def _print_summary(state: dict[str, Any]) -> None:
    line = f"evaluation {state['id']} ({state['suite']['name']}): {state['status']}"
    if state["status"] == "failed":
        line += f" — {state['failure_reason']}"
    metrics = {k: v for k, v in state["metrics"].items() if v is not None}
    if metrics:
        line += "  " + "  ".join(f"{k} {v:.2f}" for k, v in metrics.items())
    console.print(line)


@app.command()
def status(evaluation: int, watch: Annotated[bool, typer.Option(help="Follow until it ends.")] = False,
           json_: Annotated[bool, typer.Option("--json")] = False,
           url: UrlOption = None, token: TokenOption = None) -> None:
    """Status and per-shard progress of an evaluation."""
    api = Client(url, token)
    with server_errors():
        if watch:
            _follow(api, [evaluation])
            return
        state = api.evaluation(evaluation)
    if json_:
        print_json(state)
        return
    _print_summary(state)
    table = Table("shard", "status", "attempt", "progress", "device", "error")
    for shard in state["shards"]:
        progress = f"{shard['progress']}" + (f"/{shard['total']}" if shard["total"] else "")
        table.add_row(shard["key"], shard["status"], str(shard["attempt"]), progress, shard["device"] or "",
                      shard["error"] or "")
    console.print(table)


@app.command()
def results(evaluation: int, json_: Annotated[bool, typer.Option("--json")] = False,
            url: UrlOption = None, token: TokenOption = None) -> None:
    """Per corruption x severity (or perturbation) results of an evaluation."""
    api = Client(url, token)
    with server_errors():
        data = api.results(evaluation)
    if json_:
        print_json(data)
        return
    baseline = data["baseline"]
    title = f"evaluation {evaluation} on {data['suite']} ({data['status']}); baseline " + (
        f"{baseline['name']} {baseline['version']}" if baseline else "none")
    rows = data["rows"]
    perturbations = any("perturbation" in row for row in rows)
    columns = ("key", "flip_probability", "mean_top5_distance", "fp", "t5d") if perturbations else \
        ("key", "top1_error", "top5_error", "ce", "relative_ce")
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(_fmt(row.get(column)) for column in columns))
    console.print(table)
    if data["baseline_note"]:
        console.print(data["baseline_note"])
    console.print("  ".join(f"{k} {_fmt(v)}" for k, v in data["metrics"].items() if v is not None))


@app.command()
def leaderboard(suite: str, sort: Annotated[str, typer.Option(help="clean_error, mce, relative_mce, mfp, mt5d")]
                = "mce", order: str = "asc", model: str | None = None,
                pooling: Annotated[str | None, typer.Option(help="gap or gcp")] = None, limit: int = 50,
                offset: int = 0, json_: Annotated[bool, typer.Option("--json")] = False,
                url: UrlOption = None, token: TokenOption = None) -> None:
    """The ranked finished evaluations of a suite (lower is better everywhere)."""
    api = Client(url, token)
    with server_errors():
        board = api.leaderboard(suite, sort=sort, order=order, model=model, pooling=pooling, limit=limit,
                                offset=offset)
    if json_:
        print_json(board)
        return
    metrics = ("clean_error", "mce", "relative_mce", "mfp", "mt5d")
    shown = [m for m in metrics if any(e[m] is not None for e in board["entries"])] or ["mce"]
    table = Table("#", "name", "model", "pooling", "owner", *(f"{m} {ARROW}" for m in shown), "evaluation",
                  title=f"{suite}: {board['total']} entries, sorted by {sort} {order}")
    for entry in board["entries"]:
        name = entry["name"] + (" (baseline)" if entry["is_baseline"] else "")
        table.add_row(str(entry["rank"]), name, entry["model"], entry["pooling"], entry["owner"],
                      *(_fmt(entry[m]) for m in shown), str(entry["evaluation_id"]))
    console.print(table)


@app.command()
def compare(a: int, b: int, json_: Annotated[bool, typer.Option("--json")] = False,
            url: UrlOption = None, token: TokenOption = None) -> None:
    """Two evaluations side by side, with B - A."""
    api = Client(url, token)
    with server_errors():
        data = api.compare(a, b)
    if json_:
        print_json(data)
        return
    table = Table("", f"A: {data['a']['submission']['name']}", f"B: {data['b']['submission']['name']}", "B - A",
                  title=f"evaluation {a} vs {b}" + ("" if data["same_suite"] else " (different suites)"))
    for metric, values in data["metrics"].items():
        if values["a"] is not None or values["b"] is not None:
            table.add_row(metric, _fmt(values["a"]), _fmt(values["b"]), _fmt(values["delta"]))
    for row in data["rows"]:
        value = next((row[k] for k in ("top1_error", "flip_probability") if k in row), None)
        if value is not None:
            table.add_row(row["key"], _fmt(value["a"]), _fmt(value["b"]), _fmt(value["delta"]))
    console.print(table)


@app.command()
def cancel(evaluation: int, url: UrlOption = None, token: TokenOption = None) -> None:
    """Cancels one of your evaluations."""
    with server_errors():
        console.print(json.dumps(Client(url, token).cancel(evaluation)))


@app.command()
def rerun(evaluation: int, url: UrlOption = None, token: TokenOption = None) -> None:
    """Runs a finished, failed or cancelled evaluation of yours again."""
    with server_errors():
        console.print(json.dumps(Client(url, token).rerun(evaluation)))


def _floats(option: str, text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers, got {text!r}",
                                 param_hint=f"--{option}") from None


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)

