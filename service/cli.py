"""The `cpbench` entry point: the library's subcommands plus the service's."""

from evaluators.cli import app

__all__ = ["app"]
