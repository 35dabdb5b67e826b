"""The `cpbench` entry point: the library's subcommands (score, models, eval, make-c, …) plus the service's
(serve, worker, beat, db, admin, datasets, suites, submit, status, results, leaderboard, compare, …)."""

import typer

from evaluators.cli import app as library_app
from service.commands import admin, server, use

app = typer.Typer(no_args_is_help=True, help="cpbench: robustness of image classifiers on ImageNet-C/-P.")
app.add_typer(library_app)
app.add_typer(server.app)
app.add_typer(server.db, name="db")
app.add_typer(admin.admin, name="admin")
app.add_typer(admin.datasets, name="datasets")
app.add_typer(admin.suites, name="suites")
app.add_typer(use.app)

if __name__ == "__main__":
    app()
