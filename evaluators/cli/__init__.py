"""The library's `cpbench` subcommands (score, models, eval, make-c, make-p): they need no service."""

import typer

from evaluators.cli import models, score
from evaluators.cli.eval import eval_command
from evaluators.cli.make_c import make_c_command
from evaluators.cli.make_p import make_p_command

app = typer.Typer(no_args_is_help=True, help="cpbench: robustness of image classifiers on ImageNet-C/-P.")
app.add_typer(score.app, name="score")
app.add_typer(models.app, name="models")
app.command("eval")(eval_command)
app.command("make-c")(make_c_command)
app.command("make-p")(make_p_command)
