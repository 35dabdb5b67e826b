"""Throughput of `make-c` end to end: source JPEGs in, every corrupted JPEG and the manifest out.

    .venv/bin/python bench/bench_make_c.py [--images 32] [--workers 2] [--device cpu|cuda] [--batch-size 64]
                                           [--corruptions ...] [--out bench/out/make_c.md]

Source: a validation-style folder of sample-photo variants (`write_sample_folder`, JPEG q90, 256-320 px).
Timed: `MakeC(...).run()` into an empty destination, the 15 benchmark corruptions x 5 severities by default:
decode, Resize(256) + CenterCrop(224), corrupt, JPEG q85 encode, atomic writes, manifest with sha256 — what
`cpbench make-c SRC DST` does. The numpy engine runs with --workers processes; with --device the batched torch
engine runs too (--workers decode/encode threads, --batch-size images per corrupt_batch call).

The reference (hendrycks/robustness make_imagenet_c.py) has no end-to-end figure in the conformance set; its
single-thread per-image corruption times (reference_timing.json) give a lower bound on its time per source
image (corruptions only, no decode or JPEG encode): the report shows that bound beside ours, per core.

Prints a markdown report and writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import torch
from reporting import cpu_name, publish  # bench/ is on sys.path when a script here runs

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS, SEVERITIES
from evaluators.corruptions import resolve_frost_dir
from evaluators.data.sample_photos import PHOTO_CLASSES, write_sample_folder
from evaluators.generate.imagenet_c import MakeC

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFORMANCE = Path(os.environ.get("CPBENCH_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))


def timed_run(make: MakeC, workers: int) -> tuple[float, int]:
    """(seconds, files written) of one run into an empty destination."""
    shutil.rmtree(make.dst, ignore_errors=True)
    if make.device and make.device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    summary = make.run(workers)
    seconds = time.perf_counter() - start
    if summary.failed or summary.written != summary.sources * len(make.corruptions) * len(make.severities):
        raise SystemExit(f"make-c run incomplete: {summary}")
    return seconds, summary.written


def reference_seconds_per_image(conformance: Path, corruptions: list[str]) -> float | None:
    timing = conformance / "imagenet_c" / "reference_timing.json"
    if not timing.is_file():
        return None
    results = json.loads(timing.read_text())["results"]
    return sum(results[c][str(s)]["median_ms"] for c in corruptions for s in SEVERITIES) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=32, help="source images (spread over the sample classes)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default=None, help="also run the batched torch engine there (cpu, cuda)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--corruptions", nargs="+", default=list(CORRUPTIONS), choices=ALL_CORRUPTIONS)
    parser.add_argument("--skip-numpy", action="store_true", help="time only the batched engine")
    parser.add_argument("--conformance-dir", type=Path, default=DEFAULT_CONFORMANCE)
    parser.add_argument("--frost-dir", type=Path, default=None, help="default: <conformance-dir>/frost")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "make_c.md")
    args = parser.parse_args(argv)
    frost_dir = resolve_frost_dir(args.frost_dir or args.conformance_dir / "frost")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "val"
        write_sample_folder(src, per_class=-(-args.images // len(PHOTO_CLASSES)))
        sources = sum(1 for _ in src.glob("*/*.JPEG"))
        engines = ([] if args.skip_numpy else [None]) + ([args.device] if args.device else [])
        for device in engines:
            make = MakeC(src, Path(tmp) / "out", tuple(args.corruptions), SEVERITIES, seed=0, frost_dir=frost_dir,
                         device=device, batch_size=args.batch_size)
            seconds, files = timed_run(make, args.workers)
            label = (f"numpy, {args.workers} processes" if device is None
                     else f"torch {device}, batch {args.batch_size}, {args.workers} threads")
            rows.append((label, seconds, files))

    name = torch.cuda.get_device_name() if args.device and args.device.startswith("cuda") else None
    per_image = len(args.corruptions) * len(SEVERITIES)
    lines = ["# make-c end to end", "", f"{cpu_name()}{f'; {name}' if name else ''}; Python "
             f"{platform.python_version()}, torch {torch.__version__}. {sources} source images x "
             f"{len(args.corruptions)} corruptions x {len(SEVERITIES)} severities = {sources * per_image} files, "
             "manifest included.", "", "| engine | seconds | source images/s | files/s |", "|---|---|---|---|"]
    for label, seconds, files in rows:
        lines.append(f"| {label} | {seconds:.1f} | {sources / seconds:.2f} | {files / seconds:.0f} |")
    reference = reference_seconds_per_image(args.conformance_dir, args.corruptions)
    if reference:
        lines += ["", f"Reference lower bound (corruptions only, one core, reference_timing.json): {reference:.2f} s "
                  f"per source image = {1 / reference:.2f} source images/s per core."]
    report = "\n".join(lines) + "\n"
    publish(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
