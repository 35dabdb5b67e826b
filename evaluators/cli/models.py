"""`cpbench models`: list the model zoo; `cpbench models check`: does a checkpoint fit an architecture?

The zoo (torch, torchvision) is imported inside the commands, so that `cpbench --help` and the commands that
need no model start at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluators.cli.common import user_errors
from evaluators.errors import CheckpointError

app = typer.Typer(help="The model zoo: the paper's GAP/GCP models and every torchvision classifier. Without a "
                  "subcommand, a table of it: parameters with 1000 classes; min input is the smallest square side "
                  "accepted (for GCP models, the one whose final map is at least 2×2).")


@app.callback(invoke_without_command=True)
def models(
    context: typer.Context,
    all_models: Annotated[bool, typer.Option("--all", help="Also list every torchvision classifier.")] = False,
) -> None:
    """Lists the zoo when no subcommand is given."""
    if context.invoked_subcommand is not None:
        return
    from evaluators.models import list_models, model_info

    table = Table(title="cpbench model zoo" + (" and torchvision classifiers" if all_models else ""))
    table.add_column("name", no_wrap=True)
    table.add_column("pooling")
    for column in ("d", "params (M)", "min input"):
        table.add_column(column, justify="right")
    table.add_column("aliases", overflow="fold")
    for name in list_models(torchvision=all_models):
        info = model_info(name)
        table.add_row(name, info.pooling.upper(), str(info.gcp_dim or "-"), f"{info.num_params / 1e6:.3f}",
                      str(info.min_input_size), ", ".join(info.aliases))
    Console().print(table)


@app.command()
def check(
    checkpoint: Annotated[Path, typer.Argument(help=".safetensors, .pt, .pth or .pth.tar file.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Architecture; default: the file's arch field.")]
    = None,
    num_classes: Annotated[int | None, typer.Option("--num-classes", help="Default: the classifier's width.")]
    = None,
) -> None:
    """Validate CHECKPOINT against a model without running any code from it, and print what it holds."""
    with user_errors():
        from evaluators.models import check_state_dict, read_checkpoint, sha256_file

        loaded = read_checkpoint(checkpoint)
        name = model or loaded.arch
        if name is None:
            raise CheckpointError(f"{checkpoint.name}: records no arch; name the model with --model")
        report = check_state_dict(name, loaded.tensors, num_classes=num_classes, arch=loaded.arch)
        digest = sha256_file(checkpoint)
    for label, value in (
        ("file", checkpoint),
        ("format", loaded.format),
        ("sha256", digest),
        ("arch field", loaded.arch or "(none)"),
        ("tensors", len(loaded.tensors)),
        ("model", report.model),
        ("classes", report.num_classes),
        ("gcp d", report.gcp_dim or "-"),
        ("parameters", f"{report.num_params:,}"),
    ):
        typer.echo(f"{label + ':':12s}{value}")
