"""What every subcommand shares: user errors become one plain line on stderr and exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from evaluators.errors import CpbenchError

USAGE_ERROR = 2


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USAGE_ERROR)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turns the library's typed errors (and unreadable files) into a one-line message."""
    try:
        yield
    except CpbenchError as error:
        fail(str(error))
    except OSError as error:
        fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        fail(f"{path}: not valid JSON ({error.msg} at line {error.lineno})")
    except UnicodeDecodeError:
        fail(f"{path}: not a text file")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def split_names(values: list[str] | None) -> list[str]:
    """Names given as repeated options and/or comma-separated lists: --corruptions fog,snow --corruptions frost."""
    return [name.strip() for value in values or () for name in value.split(",") if name.strip()]


class RateColumn(ProgressColumn):
    """Items per second of a rich progress task."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:,.1f} {self.unit}/s", style="progress.data.speed")


def progress_bar(unit: str = "img") -> Progress:
    """The progress bar of long commands: count, rate and ETA, on stderr when it is a terminal (logs and
    pipes keep just the result and the one-line errors)."""
    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(unit),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    console=console, disable=not console.is_terminal)


def run_generator(job: Any, src: Path, dst: Path, workers: int, outputs: str, skipped: str) -> None:
    """Runs a make-c / make-p job over SRC with a progress bar, then reports what it wrote (`outputs`: what its
    files are called) and the sources it skipped (`skipped`: how they are called)."""
    from evaluators.generate.sources import count_sources

    total = count_sources(src)
    try:
        with progress_bar() as bar:
            task = bar.add_task(job.settings()["generator"], total=total)
            summary = job.run(workers, progress=lambda _: bar.advance(task))
    except KeyboardInterrupt:
        fail("interrupted: no partial file was left; rerun the same command to resume")
    typer.echo(f"{summary.sources} source images: {summary.written} {outputs} written, {summary.existing} already "
               f"there; manifest of {summary.manifest_files} {outputs} at {dst / 'manifest.json'}")
    if summary.failed:
        typer.echo(f"{len(summary.failed)} {skipped} skipped:", err=True)
        for path, reason in summary.failed:
            typer.echo(f"  {path}: {reason}", err=True)
