"""`cpbench make-p SRC DST`: turn an ImageNet-style image folder into an ImageNet-P-style dataset of clips."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from evaluators.benchmarks import PERTURBATIONS, VALIDATION_PERTURBATIONS
from evaluators.cli.common import fail, run_generator, split_names, user_errors
from evaluators.generate.h264 import PRESET


def make_p_command(
    src: Annotated[Path, typer.Argument(help="ImageNet-style folder: SRC/<wnid>/<image>.")],
    dst: Annotated[Path, typer.Argument(help="Output: DST/<perturbation>[_<difficulty>]/<wnid>/<image>.mp4.")],
    perturbations: Annotated[list[str] | None, typer.Option(
        help="Perturbations (repeat or comma-separate); default: the 10 test ones.")] = None,
    validation: Annotated[bool, typer.Option("--validation", help="Add the 4 validation perturbations.")] = False,
    difficulty: Annotated[list[str] | None, typer.Option(
        help="Noise difficulties 1-3 (folders <name>, <name>_2, <name>_3; default 1); the other perturbations "
             "have one sequence for every difficulty.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (0 = in this process).")] = os.cpu_count() or 1,
    seed: Annotated[int, typer.Option(help="Run seed; per-clip seeds derive from it.")] = 0,
    preset: Annotated[str, typer.Option(
        help="x264 preset: the reference's veryslow, or a faster one for smaller encode times and larger files.")]
        = PRESET,
) -> None:
    """Make every chosen perturbation sequence of every image of SRC, as H.264 clips (the reference's encoder
    options). Resumable: rerun the same command to continue; existing clips are kept."""
    names = split_names(perturbations) or list(PERTURBATIONS)
    if validation:
        names += [p for p in VALIDATION_PERTURBATIONS if p not in names]
    try:
        levels = tuple(int(d) for d in split_names(difficulty)) or (1,)
    except ValueError:
        fail(f"difficulties must be integers 1-3, got {', '.join(split_names(difficulty))}")
    if workers < 0:
        fail(f"--workers must be >= 0, got {workers}")
    with user_errors():
        # The engines (scipy, OpenCV, torch) load only when generating: `cpbench --help` starts at once.
        from evaluators.generate.imagenet_p import MakeP

        job = MakeP(src, dst, tuple(names), levels, seed, preset)
        run_generator(job, src, dst, workers, "clips", "source images")
