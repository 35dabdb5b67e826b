"""Frames per second of `make-p`, per ImageNet-P sequence, against the reference generator's own timings.

    .venv/bin/python bench/bench_perturbations.py [--repeats 5] [--presets veryslow medium] [--sources 2]
                                                  [--out bench/out/perturbations.md]

Single-threaded, as the reference timing (conformance/imagenet_p/reference_timing.json: one full sequence of
the chelsea photo, frames computed and written as PNG, ffmpeg excluded; median of 5). Timed here, on the same
Resize(256) chelsea image:

* generation: `sequence(image, name, difficulty, seed=Generator)`, what make-p runs per clip (median);
* the same with an int seed, the reference's own random streams (the random sequences only);
* encoding: the H.264 encode with each x264 preset (veryslow is the reference's; the reference's timing leaves
  its encode out, so "reference + encode" adds the same veryslow encode to it, the encoder being the same);
* end to end: `MakeP.run` in one process on sample photos, every sequence, JPEG decode and file writes included.

Prints a markdown table and writes it to --out.
"""

# ruff: noqa: E402  (the thread limits must be in the environment before numpy/OpenCV/torch load)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from PIL import Image
from reporting import cpu_name, publish  # bench/ is on sys.path when a script here runs

from evaluators.benchmarks import ALL_PERTURBATIONS, DIFFICULTIES, is_noise_perturbation, perturbation_folder
from evaluators.data.sample_photos import photo, write_sample_folder
from evaluators.data.transforms import resize_shorter
from evaluators.data.video import decode_video
from evaluators.generate.h264 import PRESET, encode_h264, x264_options
from evaluators.generate.imagenet_p import PRESETS, MakeP
from evaluators.perturbations import perturbation_entry, sequence

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFORMANCE = Path(os.environ.get("CPBENCH_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
FOLDERS = [(p, d) for p in ALL_PERTURBATIONS for d in (DIFFICULTIES if is_noise_perturbation(p) else (1,))]


def _median_seconds(run: Callable[[int], object], repeats: int) -> float:
    samples = []
    for repeat in range(repeats):
        start = time.perf_counter()
        run(repeat)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def time_generation(image: np.ndarray, repeats: int) -> dict[str, dict[str, float]]:
    """Median seconds per sequence, make-p's Generator path and (random sequences) the int-seed path. Round
    robin over the folders, so that load from other processes spreads over all of them."""
    samples: dict[str, dict[str, list[float]]] = {}
    for repeat in range(repeats):
        for name, difficulty in FOLDERS:
            folder = samples.setdefault(perturbation_folder(name, difficulty), {"generator": [], "int_seed": []})
            seeds = [("generator", np.random.default_rng(repeat))]
            if not perturbation_entry(name).deterministic:
                seeds.append(("int_seed", repeat))
            for kind, seed in seeds:
                start = time.perf_counter()
                sequence(image, name, difficulty, seed=seed)
                folder[kind].append(time.perf_counter() - start)
    return {folder: {kind: statistics.median(v) for kind, v in kinds.items() if v} for folder, kinds in samples.items()}


def time_encoding(image: np.ndarray, presets: list[str], repeats: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per folder and preset: median encode seconds, clip bytes, mean PSNR of the decoded frames."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, difficulty in FOLDERS:
        frames = sequence(image, name, difficulty, seed=np.random.default_rng(0))
        per_preset = results.setdefault(perturbation_folder(name, difficulty), {})
        for preset in presets:
            options = x264_options(is_noise_perturbation(name), preset)
            clip = encode_h264(frames, options)
            mse = ((decode_video(clip).astype(np.float64) - frames) ** 2).mean(axis=(1, 2, 3))
            seconds = _median_seconds(lambda _, f=frames, o=options: encode_h264(f, o), repeats)
            per_preset[preset] = {"seconds": seconds, "bytes": len(clip),
                                  "psnr": float(np.mean(10 * np.log10(255.0**2 / mse)))}
    return results


def time_end_to_end(sources: int, preset: str) -> dict[str, float]:
    """`MakeP.run` in this process over every sequence of `sources` sample photos."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        write_sample_folder(src, per_class=1, photos=("chelsea", "coffee", "rocket", "astronaut")[:sources])
        job = MakeP(src, Path(tmp) / "p", ALL_PERTURBATIONS, DIFFICULTIES, preset=preset)
        start = time.perf_counter()
        summary = job.run(workers=0)
        seconds = time.perf_counter() - start
    frames = sources * sum(perturbation_entry(p).frames for p, _ in job.sequences())
    return {"clips": summary.written, "frames": frames, "seconds": seconds}


def markdown(generation: dict, encoding: dict, end_to_end: dict, reference: dict, presets: list[str]) -> str:
    ref = {folder: reference[folder]["median_s"] for folder in generation}
    frames = {perturbation_folder(p, d): perturbation_entry(p).frames for p, d in FOLDERS}
    libavcodec = ".".join(map(str, av.library_versions["libavcodec"]))
    lines = ["# ImageNet-P: make-p frames per second, single thread", "",
             f"{cpu_name()}; Python {platform.python_version()}, numpy {np.__version__}, OpenCV {cv2.__version__}, "
             f"torch {torch.__version__}, PyAV {av.__version__} (libavcodec {libavcodec}). Reference: "
             "conformance/imagenet_p/reference_timing.json (hendrycks/robustness, 2-core AMD EPYC; frames computed "
             "and written as PNG, ffmpeg excluded). Chelsea, Resize(256). Seconds per sequence (median).", "",
             f"## Generation (make-p's path: a NumPy Generator per clip) and encoding ({PRESET}, the reference's)", "",
             "| sequence | frames | reference s | make-p s | speedup | frames/s | int-seed s (speedup) | encode s "
             "| make-p + encode s | frames/s | reference + encode s | speedup |",
             "|---" * 12 + "|"]
    ref_total = ours_total = encode_total = frame_total = 0.0
    for folder, times in generation.items():
        ours, encode, n = times["generator"], encoding[folder][PRESET]["seconds"], frames[folder]
        int_seed = f"{times['int_seed']:.3f} ({ref[folder] / times['int_seed']:.1f}×)" if "int_seed" in times else "="
        lines.append(f"| {folder} | {n} | {ref[folder]:.3f} | {ours:.3f} | {ref[folder] / ours:.1f}× | "
                     f"{n / ours:,.0f} | {int_seed} | {encode:.3f} | {ours + encode:.3f} | {n / (ours + encode):.0f} | "
                     f"{ref[folder] + encode:.3f} | {(ref[folder] + encode) / (ours + encode):.1f}× |")
        ref_total, ours_total = ref_total + ref[folder], ours_total + ours
        encode_total, frame_total = encode_total + encode, frame_total + n
    worst = min(ref[f] / t["generator"] for f, t in generation.items())
    both, ref_both = ours_total + encode_total, ref_total + encode_total
    lines += [f"| **all {len(generation)}** | {frame_total:.0f} | {ref_total:.2f} | {ours_total:.2f} | "
              f"**{ref_total / ours_total:.1f}×** (min {worst:.1f}×) | {frame_total / ours_total:,.0f} | | "
              f"{encode_total:.2f} | {both:.2f} | {frame_total / both:.0f} | {ref_both:.2f} | {ref_both / both:.1f}× |",
              "", "## x264 preset: encode time, size and codec loss (all sequences above, one clip each)", "",
              "| preset | encode s (all) | make-p + encode frames/s | speedup vs reference + veryslow encode "
              "| MB (all) | decoded PSNR dB, noise / others (mean) |", "|---|---|---|---|---|---|"]
    for preset in presets:
        encode = sum(encoding[f][preset]["seconds"] for f in generation)
        size = sum(encoding[f][preset]["bytes"] for f in generation) / 1e6
        psnr = {noise: statistics.fmean(encoding[perturbation_folder(p, d)][preset]["psnr"] for p, d in FOLDERS
                                        if is_noise_perturbation(p) == noise) for noise in (True, False)}
        lines.append(f"| {preset} | {encode:.2f} | {frame_total / (ours_total + encode):.0f} | "
                     f"{ref_both / (ours_total + encode):.1f}× | {size:.2f} | {psnr[True]:.2f} / {psnr[False]:.2f} |")
    if end_to_end["clips"]:
        lines += ["", f"## End to end: `MakeP.run`, one process, {PRESET}", "",
                  f"{end_to_end['clips']} clips ({end_to_end['frames']} frames) from sample JPEGs in "
                  f"{end_to_end['seconds']:.1f} s: **{end_to_end['frames'] / end_to_end['seconds']:.0f} frames/s** "
                  "(JPEG decode, Resize(256), generation, encode, atomic writes, manifest)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conformance-dir", type=Path, default=DEFAULT_CONFORMANCE)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--encode-repeats", type=int, default=1)
    parser.add_argument("--presets", nargs="+", default=[PRESET, "slow", "medium", "fast"], choices=PRESETS)
    parser.add_argument("--sources", type=int, default=2, choices=range(0, 5), help="end-to-end photos (0: skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "perturbations.md")
    args = parser.parse_args(argv)
    presets = [PRESET, *(p for p in args.presets if p != PRESET)]

    reference = json.loads((args.conformance_dir / "imagenet_p" / "reference_timing.json").read_text())["results"]
    image = np.asarray(resize_shorter(Image.fromarray(photo("chelsea"))))
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    time_generation(image, 1)  # warm up: alias tables, kernels, caches
    generation = time_generation(image, args.repeats)
    encoding = time_encoding(image, presets, args.encode_repeats)
    end_to_end = time_end_to_end(args.sources, PRESET) if args.sources else {"clips": 0}
    report = markdown(generation, encoding, end_to_end, reference, presets)
    publish(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
