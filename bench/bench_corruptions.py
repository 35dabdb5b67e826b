"""Per-image time of every ImageNet-C corruption, against the reference's own timings.

    .venv/bin/python bench/bench_corruptions.py [--severities 1 2 3 4 5] [--repeats 11] [--out bench/out/corruptions.md]

Single-threaded, as the reference timing (conformance/imagenet_c/reference_timing.json): one call of
corruption(x, severity) on a 224×224 image, uint8 conversion included, file I/O excluded; the median over
the conformance set's two images × repeats. Prints a markdown table and writes it to --out.

`timed_paths` lists the implementations to time, one column set each: the numpy path here; a torch CPU or
CUDA path is one more entry there.
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

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS, SEVERITIES
from evaluators.corruptions import corrupt, resolve_frost_dir

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


def markdown(timings: dict[str, dict[str, dict[int, float]]], reference: dict, severities: list[int]) -> str:
    ref_ms = {name: {s: reference[name][str(s)]["median_ms"] for s in severities} for name in ALL_CORRUPTIONS}
    lines = ["# ImageNet-C corruptions: ms per 224×224 image, single thread", "",
             f"{_cpu_name()}; Python {platform.python_version()}, "
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


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ×{os.cpu_count()}"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conformance-dir", type=Path, default=DEFAULT_CONFORMANCE)
    parser.add_argument("--frost-dir", type=Path, default=None, help="default: <conformance-dir>/frost")
    parser.add_argument("--corruptions", nargs="+", default=list(ALL_CORRUPTIONS), choices=ALL_CORRUPTIONS)
    parser.add_argument("--severities", nargs="+", type=int, default=list(SEVERITIES), choices=SEVERITIES)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "corruptions.md")
    args = parser.parse_args(argv)

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
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
