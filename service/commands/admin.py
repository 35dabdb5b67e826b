"""Administration on the configured database (run where `serve` runs, or with the fleet's settings):
`admin create-token`, `datasets add/list`, `suites add/list/set-baseline`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from evaluators.cli.common import print_json
from service.catalog import SuiteRequest, add_dataset, add_suite, get_suite, set_baseline
from service.commands.output import console, database, user_errors
from service.db import session_scope, write_session
from service.lifecycle import Outbox
from service.models import DatasetKind, SuiteKind
from service.queries import dataset_summary, list_datasets, list_suites, suite_summary
from service.tokens import create_token

admin = typer.Typer(no_args_is_help=True, help="Users and tokens.")
datasets = typer.Typer(no_args_is_help=True, help="Register datasets (paths as the workers see them).")
suites = typer.Typer(no_args_is_help=True, help="Evaluation suites over registered datasets.")


@admin.command("create-token")
def create_token_command(name: Annotated[str, typer.Argument(help="User name (created if new).")],
                         is_admin: Annotated[bool, typer.Option("--admin", help="Grant admin rights.")] = False,
                         expires_days: Annotated[float | None, typer.Option(help="Expire after N days.")] = None
                         ) -> None:
    """Creates an API token; it is shown once, alone on the last line."""
    settings = database()
    with write_session(settings) as session:
        token = create_token(session, name, is_admin, expires_days)
    typer.echo(f"token for {name}{' (admin)' if is_admin else ''}; keep it, it is not stored:", err=True)
    typer.echo(token)


@datasets.command("add")
def datasets_add(kind: Annotated[DatasetKind, typer.Argument(help="imagenet-c, imagenet-p or imagenet-val")],
                 name: str, path: str) -> None:
    """Scans PATH and registers it with its manifest (file list and hash)."""
    settings = database()
    with user_errors(), write_session(settings) as session:
        summary = dataset_summary(add_dataset(session, kind, name, path))
    console.print(f"dataset {summary['name']} ({summary['kind']}): {summary['files']} files, "
                  f"{summary['classes']} classes, manifest {summary['manifest_sha256'][:16]}…")


@datasets.command("list")
def datasets_list(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    with session_scope(database()) as session:
        rows = list_datasets(session)
    if json:
        print_json(rows)
        return
    table = Table("name", "kind", "files", "classes", "path", "manifest")
    for row in rows:
        table.add_row(row["name"], row["kind"], str(row["files"]), str(row["classes"]), row["path"],
                      row["manifest_sha256"][:12])
    console.print(table)


@suites.command("add")
def suites_add(name: str,
               kind: Annotated[SuiteKind, typer.Option(help="imagenet-c, imagenet-c-on-the-fly or imagenet-p")],
               dataset: Annotated[str, typer.Option(help="Dataset name (on-the-fly: the clean val set).")],
               clean_dataset: Annotated[str | None, typer.Option(help="imagenet-val dataset for clean error.")]
               = None,
               corruptions: Annotated[str | None, typer.Option(help="Comma-separated; default the 15.")] = None,
               extras: Annotated[bool, typer.Option(help="Add the 4 extra corruptions.")] = False,
               severities: Annotated[str, typer.Option(help="Comma-separated.")] = "1,2,3,4,5",
               perturbations: Annotated[str | None, typer.Option(help="Comma-separated; default the 10.")] = None,
               difficulties: Annotated[str, typer.Option(help="Comma-separated.")] = "1",
               subset: Annotated[str | None, typer.Option(help="N images per class, or a file list.")] = None,
               seed: Annotated[int, typer.Option(help="On-the-fly corruption seed.")] = 0,
               precision: Annotated[str, typer.Option(help="fp32 or bf16.")] = "fp32",
               protocol_version: Annotated[str, typer.Option(help="Recorded with every result.")] = "1",
               allow_missing: Annotated[bool, typer.Option(help="Skip unreadable files (recorded).")] = False
               ) -> None:
    """Adds a suite; its datasets must hold every requested corruption/perturbation. Its baseline (an
    evaluation on it, see `suites set-baseline`) normalises everything but the full standard ImageNet-C."""
    settings = database()
    with user_errors():
        request = SuiteRequest(
            name=name, kind=kind, dataset=dataset, clean_dataset=clean_dataset, corruptions=_list(corruptions),
            extras=extras, severities=_ints(severities, "--severities"),
            perturbations=_list(perturbations), difficulties=_ints(difficulties, "--difficulties"),
            subset=subset, seed=seed, precision=precision, protocol_version=protocol_version,
            allow_missing=allow_missing)
        with write_session(settings) as session:
            summary = suite_summary(add_suite(session, request))
    console.print(f"suite {summary['name']} ({summary['kind']}) over {summary['dataset']}: "
                  f"{_describe(summary['options'])}")


@suites.command("list")
def suites_list(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    with session_scope(database()) as session:
        rows = list_suites(session)
    if json:
        print_json(rows)
        return
    table = Table("name", "kind", "dataset", "clean", "what", "precision", "protocol", "baseline")
    for row in rows:
        baseline = f"evaluation {row['baseline_evaluation_id']}" if row["baseline_evaluation_id"] else "-"
        table.add_row(row["name"], row["kind"], row["dataset"], row["clean_dataset"] or "-",
                      _describe(row["options"]), row["precision"], row["protocol_version"], baseline)
    console.print(table)


@suites.command("set-baseline")
def suites_set_baseline(suite: str, evaluation: Annotated[str, typer.Argument(help="Evaluation id, or 'none'.")]
                        ) -> None:
    """Normalises SUITE by EVALUATION's counts; its finished evaluations are finalised again."""
    settings = database()
    outbox = Outbox()
    with user_errors(), write_session(settings) as session:
        target = get_suite(session, suite)
        outbox.finalise += set_baseline(session, target, None if evaluation == "none" else int(evaluation))
    outbox.send(settings)
    console.print(f"suite {suite}: baseline {evaluation}; refinalising {len(outbox.finalise)} evaluation(s)")


def _list(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _ints(text: str, option: str) -> list[int]:
    try:
        return [int(part) for part in _list(text) or []]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}", param_hint=option) from None


def _describe(options: dict[str, object]) -> str:
    if "perturbations" in options:
        return f"{len(options['perturbations'])} perturbations x difficulties {options['difficulties']}"  # type: ignore[arg-type]
    return f"{len(options['corruptions'])} corruptions x severities {options['severities']}"  # type: ignore[arg-type]
