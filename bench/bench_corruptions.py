"""Per-image time of every ImageNet-C corruption, against the reference's own timings.

    .venv/bin/python bench/bench_corruptions.py [--severities 1 2 3 4 5] [--repeats 11] [--out bench/out/corruptions.md]
    .venv/bin/python bench/bench_corruptions.py --device cpu [--batch-size 16] [--threads 2]  # + torch CPU
    .venv/bin/python bench/bench_corruptions.py --device cuda [--batch-size 64]  # numpy s3 + torch CUDA, < 1 min

numpy path: single-threaded, as the reference timing (conformance/imagenet_c/reference_timing.json): one
call of corruption(x, severity) on a 224×224 image, uint8 conversion included, file I/O excluded; the median
over the conformance set's two images × repeats.

Batched torch path (`corrupt_batch`), with --device: one call on a uint8 batch of --batch-size images (the
two conformance images tiled) already on the device, per-image seeds, the result synchronised; median over
--batch-repeats calls after one warm-up, divided by the batch size. Timed at --batch-severity (3) beside
the numpy path's figure for that severity. --threads sets torch's CPU threads (the numpy path stays on one).

Prints a markdown report and writes it to --out.
"""

# ruff: noqa: E402  (the thread limits must be in the environment before numpy/scipy/OpenCV load)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import scipy
from PIL import Image
from reporting import cpu_name, publish  # bench/ is on sys.path when a script here runs

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS, SEVERITIES
from evaluators.corruptions import corrupt, resolve_frost_dir

BATCH_DEFAULTS = {"cpu": 16, "cuda": 64}  # default --batch-size per device

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFORMANCE = Path(os.environ.get("CPBENCH_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
IMAGES = ("chelsea", "coffee")

# A timed path: run(image, corruption, severity, seed) applies one corruption to one image and returns once
# the result exists (a CUDA path synchronises).
TimedPath = Callable[[np.ndarray, str, int, int], object]


def timed_paths(frost_dir: Path) -> dict[str, TimedPath]:
    """The implementations to time, by name."""
    return {
        "numpy": lambda image, name, severity, seed: corrupt(image, name, severity, seed=seed, frost_dir=frost_dir),
    }


def single_threaded() -> None:
    cv2.setNumThreads(1)
    if "torch" in sys.modules:  # a torch path times on one thread too
        sys.modules["torch"].set_num_threads(1)


def time_path(run: TimedPath, images: list[np.ndarray], names: list[str], severities: list[int],
              repeats: int) -> dict[str, dict[int, float]]:
    """Median ms per (corruption, severity) over images × repeats. Round robin over all cells, so that load
    from other processes on a shared machine spreads over every cell instead of hitting a few."""
    samples: dict[tuple[str, int], list[float]] = {(name, s): [] for name in names for s in severities}
    for repeat in range(repeats):
        for (name, severity), cell in samples.items():
            for index, image in enumerate(images):
                start = time.perf_counter()
                run(image, name, severity, 1000 * severity + index + 100000 * repeat)
                cell.append(time.perf_counter() - start)
    return {name: {s: 1000 * statistics.median(samples[name, s]) for s in severities} for name in names}


def time_batched(device: str, images: list[np.ndarray], names: list[str], severity: int, batch_size: int,
                 repeats: int, frost_dir: Path) -> dict[str, float]:
    """Median ms per image of `corrupt_batch` on `device`, per corruption, at one severity."""
    import torch

    from evaluators.corruptions import corrupt_batch

    tiles = [images[i % len(images)] for i in range(batch_size)]
    batch = torch.from_numpy(np.stack(tiles)).permute(0, 3, 1, 2).contiguous().to(device)

    def run(name: str, repeat: int) -> float:
        seeds = [1000 * severity + 100000 * repeat + i for i in range(batch_size)]
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        corrupt_batch(batch, name, severity, seeds, frost_dir=frost_dir)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    timings = {}
    for name in names:
        run(name, 0)  # warm-up: kernels, cached constants, cuFFT plans
        timings[name] = 1000 * statistics.median(run(name, r + 1) for r in range(repeats)) / batch_size
    return timings


def batched_markdown(numpy_ms: dict[str, float], batched_ms: dict[str, float], severity: int, label: str) -> str:
    lines = [f"## Batched torch path (`corrupt_batch`), severity {severity}: ms per image", "", f"{label}. Cells: "
             "median ms per image (speedup vs the numpy path).", "", "| corruption | numpy | torch | speedup |",
             "|---|---|---|---|"]
    for name, reference in numpy_ms.items():
        lines.append(f"| {name} | {reference:.2f} | {batched_ms[name]:.3f} | {reference / batched_ms[name]:.1f}× |")
    suite = [n for n in CORRUPTIONS if n in numpy_ms]
    ours, theirs = sum(batched_ms[n] for n in suite), sum(numpy_ms[n] for n in suite)
    lines.append(f"| {len(suite)}-corruption suite | {theirs:.1f} | {ours:.2f} | {theirs / ours:.1f}× |")
    return "\n".join(lines) + "\n"


def markdown(timings: dict[str, dict[str, dict[int, float]]], reference: dict, severities: list[int]) -> str:
    ref_ms = {name: {s: reference[name][str(s)]["median_ms"] for s in severities} for name in ALL_CORRUPTIONS}
    lines = ["# ImageNet-C corruptions: ms per 224×224 image, single thread", "",
             f"{cpu_name()}; Python {platform.python_version()}, "
             f"numpy {np.__version__}, scipy {scipy.__version__}, OpenCV {cv2.__version__}. Reference: "
             "conformance/imagenet_c/reference_timing.json (hendrycks/robustness, 2-core AMD EPYC). "
             "Cells: median ms (speedup vs the reference).", ""]
    for path, results in timings.items():
        lines += [f"## {path}", "", "| corruption | " + " | ".join(f"s{s}" for s in severities) + " | total | ref total"
                  " | speedup |", "|---" * (len(severities) + 4) + "|"]
        for name, per_severity in results.items():
            cells = [f"{per_severity[s]:.2f} ({ref_ms[name][s] / per_severity[s]:.1f}×)" for s in severities]
            total, ref_total = sum(per_severity.values()), sum(ref_ms[name].values())
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {total:.1f} | {ref_total:.1f} | "
                         f"{ref_total / total:.1f}× |")
        lines.append("")
    lines += ["## Summary", "", "| path | 15-corruption suite ms (ref) | suite speedup | glass_blur speedup (min over "
              "severities) | all timed ms |", "|---|---|---|---|---|"]
    for path, results in timings.items():
        suite = [n for n in CORRUPTIONS if n in results]
        ours = sum(results[n][s] for n in suite for s in severities)
        ref = sum(ref_ms[n][s] for n in suite for s in severities)
        glass = (f"{min(ref_ms['glass_blur'][s] / results['glass_blur'][s] for s in severities):.1f}×"
                 if "glass_blur" in results else "n/a")
        everything = sum(v for per_severity in results.values() for v in per_severity.values())
        label = "" if len(suite) == len(CORRUPTIONS) else f" ({len(suite)} of 15 timed)"
        lines.append(f"| {path} | {ours:.1f} ({ref:.1f}){label} | {ref / ours:.1f}× | {glass} | {everything:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conformance-dir", type=Path, default=DEFAULT_CONFORMANCE)
    parser.add_argument("--frost-dir", type=Path, default=None, help="default: <conformance-dir>/frost")
    parser.add_argument("--corruptions", nargs="+", default=list(ALL_CORRUPTIONS), choices=ALL_CORRUPTIONS)
    parser.add_argument("--severities", nargs="+", type=int, default=list(SEVERITIES), choices=SEVERITIES)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="also time the batched torch path there; cuda: numpy path at --batch-severity only, "
                             "3 repeats, so the run stays under a minute")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 16 on cpu, 64 on cuda")
    parser.add_argument("--batch-severity", type=int, default=3, choices=SEVERITIES)
    parser.add_argument("--batch-repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for the batched path")
    parser.add_argument("--out", type=Path, default=None,
                        help="default: bench/out/corruptions.md, or corruptions_torch_<device>.md with --device")
    args = parser.parse_args(argv)
    args.out = args.out or ROOT / "bench" / "out" / (f"corruptions_torch_{args.device}.md" if args.device
                                                      else "corruptions.md")
    if args.device == "cuda":
        args.severities, args.repeats = [args.batch_severity], min(args.repeats, 3)
    elif args.device and args.batch_severity not in args.severities:
        args.severities = sorted({*args.severities, args.batch_severity})

    imagenet_c = args.conformance_dir / "imagenet_c"
    reference = json.loads((imagenet_c / "reference_timing.json").read_text())["results"]
    images = []
    for name in IMAGES:
        with Image.open(imagenet_c / name / "clean.png") as image:
            images.append(np.asarray(image.convert("RGB")))
    frost_dir = resolve_frost_dir(args.frost_dir or args.conformance_dir / "frost")

    single_threaded()
    paths = timed_paths(frost_dir)
    for run in paths.values():  # warm up caches (kernels, textures, zoom taps) outside the timings
        for name in args.corruptions:
            for severity in args.severities:
                run(images[0], name, severity, 0)
    timings = {path: time_path(run, images, args.corruptions, args.severities, args.repeats)
               for path, run in paths.items()}
    report = markdown(timings, reference, args.severities)
    if args.device:
        import torch

        torch.set_num_threads(args.threads)
        batch_size = args.batch_size or BATCH_DEFAULTS[args.device]
        batched_ms = time_batched(args.device, images, args.corruptions, args.batch_severity, batch_size,
                                  args.batch_repeats, frost_dir)
        where = (torch.cuda.get_device_name() if args.device == "cuda"
                 else f"{cpu_name()}, {args.threads} torch thread(s)")
        label = f"torch {torch.__version__} on {args.device} ({where}), batch {batch_size}"
        numpy_ms = {name: timings["numpy"][name][args.batch_severity] for name in args.corruptions}
        report += "\n" + batched_markdown(numpy_ms, batched_ms, args.batch_severity, label)
    publish(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
