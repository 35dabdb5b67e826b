"""What every subcommand shares: user errors become one plain line on stderr and exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer

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
