"""`cpbench make-c SRC DST`: turn an ImageNet-style image folder into an ImageNet-C-style dataset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from evaluators.benchmarks import CORRUPTIONS, EXTRA_CORRUPTIONS, SEVERITIES
from evaluators.cli.common import fail, run_generator, split_names, user_errors


def make_c_command(
    src: Annotated[Path, typer.Argument(help="ImageNet-style folder: SRC/<wnid>/<image>.")],
    dst: Annotated[Path, typer.Argument(help="Output: DST/<corruption>/<severity>/<wnid>/<image>.")],
    corruptions: Annotated[list[str] | None, typer.Option(
        help="Corruptions (repeat or comma-separate); default: the 15 benchmark ones.")] = None,
    severities: Annotated[list[str] | None, typer.Option(help="Severities 1-5 (default all).")] = None,
    extras: Annotated[bool, typer.Option("--extras", help="Add the 4 extra corruptions.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (0 = in this process).")] = os.cpu_count() or 1,
    device: Annotated[str, typer.Option(help="cpu: the numpy reference path, one image per worker process; "
                                        "cuda[:N]: the batched torch path on that GPU.")] = "cpu",
    batch_size: Annotated[int, typer.Option(help="Images per batch on the batched path.")] = 64,
    seed: Annotated[int, typer.Option(help="Run seed; per-file seeds derive from it.")] = 0,
    frost_dir: Annotated[Path | None, typer.Option(
        envvar="CPBENCH_FROST_DIR", help="Folder with frost1.png … frost5.jpg (not shipped with cpbench).")] = None,
) -> None:
    """Corrupt every image of SRC at every chosen corruption and severity (JPEG q85, as the release).
    Resumable: rerun the same command to continue; existing outputs are kept."""
    names = split_names(corruptions) or list(CORRUPTIONS)
    if extras:
        names += [c for c in EXTRA_CORRUPTIONS if c not in names]
    try:
        levels = tuple(int(s) for s in split_names(severities)) or SEVERITIES
    except ValueError:
        fail(f"severities must be integers 1-5, got {', '.join(split_names(severities))}")
    if workers < 0:
        fail(f"--workers must be >= 0, got {workers}")
    if device != "cpu":
        import torch

        if not device.startswith("cuda") or not torch.cuda.is_available():
            fail(f"--device {device}: use cpu, or cuda[:N] on a machine with a CUDA GPU")
    with user_errors():
        # The engines (scipy, OpenCV, torch) load only when generating: `cpbench --help` starts at once.
        from evaluators.generate.imagenet_c import MakeC

        job = MakeC(src, dst, tuple(names), levels, seed, frost_dir, None if device == "cpu" else device,
                    batch_size)
        run_generator(job, src, dst, workers, "files", "unreadable source images")
