"""What the service's commands share: one plain line for any error, JSON output, tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from evaluators.cli import common
from evaluators.cli.common import fail
from service.client import ApiError
from service.migrate import upgrade
from service.settings import Settings, get_settings

SERVER_ERROR = 1
console = Console()

UrlOption = Annotated[str | None, typer.Option("--url", envvar="CPBENCH_URL",
                                               help="cpbench server (default http://127.0.0.1:8000).")]
TokenOption = Annotated[str | None, typer.Option("--token", envvar="CPBENCH_TOKEN", help="API token.")]


@contextmanager
def server_errors() -> Iterator[None]:
    """A refusal (4xx) exits with 2 like any usage error; an unreachable or failing server with 1."""
    try:
        yield
    except ApiError as error:
        if 400 <= error.status < 500:
            fail(error.message)
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(SERVER_ERROR) from None


@contextmanager
def user_errors() -> Iterator[None]:
    """The library's typed errors, and invalid option values, as one line with exit code 2."""
    try:
        with common.user_errors():
            yield
    except ValidationError as error:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))


def database() -> Settings:
    """The configured settings, with the database schema brought up to date."""
    settings = get_settings()
    upgrade(settings)
    return settings
