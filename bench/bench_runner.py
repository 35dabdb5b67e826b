"""The evaluation runner against reference-style loops, on one machine, in one run (issue 4 §4).

    .venv/bin/python bench/bench_runner.py [--images 2000] [--clips 64] [--models resnet50 resnet50_gcp]
        [--precisions fp32 bf16] [--rss-sizes 2000 8000] [--device cpu|cuda] [--compile] [--out bench/out/runner.md]

Data: the sample photos as an ImageNet-C folder (`gaussian_noise/3`, 224x224 JPEG q85, real corruption), one
unique photo variant per file, `--replicate` hard links of each for long GPU runs; ImageNet-P-style H.264
clips (31 frames; gaussian_noise and translate). Models are random-initialised (seeded), speed does not depend
on the weights; their batch-norm statistics and final layer are fitted on clean sample images
(`fit_classifier`) so that their logits have a classifier's margins and top-1 agreement means something.

Measured, for each model:
- ImageNet-C images/s of the reference-style loop (torchvision ImageFolder + PIL + ToTensor + Normalize,
  DataLoader, float32 NCHW, batch 128) and of `run_shard` in each precision (targets on CPU: fp32 >= 1.4x,
  bf16 >= 2.8x with top-1 agreement >= 99 % against fp32); equal counts (fp32) are checked, not assumed;
- the bare model on tensors already in memory (same precision, batch, memory format): runner >= 90 % of it;
- ImageNet-P frames/s: reference-style loop (cv2.VideoCapture, PIL, ToTensor, Normalize, per-frame scipy
  rankdata, Python pair loop) against `run_shard` (target >= 2x);
- the runner with a model that costs nothing: the input pipeline's ceiling (read, decode, move, count);
- peak RSS of a runner process for each of --rss-sizes images (a shard streams: they differ by < 10 %).
Prints a markdown table and writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image
from reporting import publish  # bench/ is on sys.path when a script here runs
from scipy.stats import rankdata
from torch import nn
from torchvision.datasets import ImageFolder

from evaluators.benchmarks import is_noise_perturbation
from evaluators.data import Subset
from evaluators.data.sample_photos import PHOTO_CLASSES
from evaluators.data.sample_sets import write_sample_imagenet_c, write_sample_imagenet_p
from evaluators.metrics import SequenceCounts, TopKCounts, pair_indices
from evaluators.models import create_model
from evaluators.runner import CorruptionShard, PerturbationShard, environment, prepare_model, run_shard
from evaluators.runner.devices import numerics

ROOT = Path(__file__).resolve().parents[1]
CORRUPTION, SEVERITY = "gaussian_noise", 3
PERTURBATIONS = ("gaussian_noise", "translate")
REFERENCE_BATCH = 128
REFERENCE_CLIPS = 4  # the reference's clips per batch for ResNet-50
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
TARGETS = {"fp32": 1.4, "bf16": 2.8}
# 1000 outputs whose first 8 are the sample photos' wnids, sorted: then ImageFolder's labels (indices among the
# folders present) equal the runner's (indices in the class list), so the two loops' counts can be compared.
CLASSES = tuple(sorted(PHOTO_CLASSES.values())) + tuple(f"unused{i:03d}" for i in range(1000 - len(PHOTO_CLASSES)))


# ---- data -------------------------------------------------------------------------------------------------

def _write_p(args: tuple[Path, str, int]) -> int:
    root, name, per_class = args
    return len(write_sample_imagenet_p(root / "p", PERTURBATIONS, per_class, frames=31, seed=7, photos=(name,)))


def build_data(root: Path, images: int, clips: int, replicate: int) -> None:
    """Skipped when `root` already holds this configuration."""
    stamp = root / "config.json"
    config = {"images": images, "clips": clips, "replicate": replicate}
    if stamp.is_file() and json.loads(stamp.read_text()) == config:
        return
    per_class = -(-images // (len(PHOTO_CLASSES) * replicate))
    per_clip = max(1, clips // len(PHOTO_CLASSES))
    write_sample_imagenet_c(root / "c", (CORRUPTION,), (SEVERITY,), per_class, seed=7, val_dir=root / "val",
                            workers=os.cpu_count() or 1)
    with ProcessPoolExecutor(min(len(PHOTO_CLASSES), os.cpu_count() or 1)) as pool:
        list(pool.map(_write_p, [(root, name, per_clip) for name in PHOTO_CLASSES]))
    folder = root / "c" / CORRUPTION / str(SEVERITY)
    for copy in range(1, replicate):  # more files with the same decode cost, for long GPU runs
        for path in sorted(folder.glob("*/*.JPEG")):
            if "_copy" not in path.stem:
                os.link(path, path.with_name(f"{path.stem}_copy{copy}.JPEG"))
    stamp.write_text(json.dumps(config))


def subset_of(images: int) -> Subset:
    return Subset(per_class=images // len(PHOTO_CLASSES))


# ---- a model with a trained classifier's margins ------------------------------------------------------------

def fit_classifier(model: nn.Module, val: Path, images: int) -> nn.Module:
    """Random convolutional features cost the same time as trained ones, but their logits are nearly tied (a
    random net predicts one class for every input), which makes fp32/bf16 agreement meaningless. So: batch-norm
    statistics are measured on clean sample images, and the final linear layer is fitted to their 8 classes
    by ridge regression; the timed data (corrupted) is never seen by the fit."""
    transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    data = ImageFolder(str(val), transform=transform)
    per_class = max(1, images // len(PHOTO_CLASSES))
    picked = [i for label in range(len(PHOTO_CLASSES))
              for i in [j for j, (_, y) in enumerate(data.samples) if y == label][:per_class]]
    x = torch.stack([data[i][0] for i in picked])
    labels = torch.tensor([data.samples[i][1] for i in picked])
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None  # a plain average over the calibration batches
    model.train()
    with torch.no_grad():
        for chunk in x.split(32):
            model(chunk)
    model.eval()
    head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    features: list[torch.Tensor] = []
    hook = head.register_forward_hook(lambda m, i, o: features.append(i[0].double()))
    with torch.no_grad():
        for chunk in x.split(32):
            model(chunk)
    hook.remove()
    f = torch.cat(features)
    mean = f.mean(0)
    centred = f - mean
    targets = nn.functional.one_hot(labels, len(PHOTO_CLASSES)).double() * 4 - 2
    gram = centred @ centred.T  # dual form: the GCP head has 32,896 features
    gram += 1e-3 * gram.trace() / len(f) * torch.eye(len(f), dtype=torch.float64)
    weight = (centred.T @ torch.linalg.solve(gram, targets)).T  # 8 x features
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-4.0)
        head.weight[: len(PHOTO_CLASSES)] = weight.float()
        head.bias[: len(PHOTO_CLASSES)] = (targets.mean(0) - weight @ mean).float()
    return model


# ---- timed paths -------------------------------------------------------------------------------------------

def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Clock:
    """A progress callback that notes when the first batch is done, to tell start-up from streaming."""

    def __init__(self) -> None:
        self.first: tuple[float, int] | None = None

    def __call__(self, done: int) -> None:
        self.first = self.first or (time.perf_counter(), done)

    def steady(self, end: float, total: int) -> str:
        if self.first is None or end <= self.first[0]:
            return ""
        return f"streaming {(total - self.first[1]) / (end - self.first[0]):.0f}/s after the first batch"


def timed(device: torch.device, run: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    sync(device)
    start = time.perf_counter()
    out = run(*args, **kwargs)
    sync(device)
    return time.perf_counter() - start, out


def reference_c(model: nn.Module, folder: Path, images: int, workers: int, device: torch.device) -> TopKCounts:
    """hendrycks ImageNet-C test.py, modernised: ImageFolder/PIL, CenterCrop, ToTensor, Normalize, fp32 NCHW."""
    data = ImageFolder(str(folder), transform=T.Compose([T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)]))
    data = torch.utils.data.Subset(data, subset_indices(data, images))
    loader = torch.utils.data.DataLoader(data, batch_size=REFERENCE_BATCH, num_workers=workers,
                                         pin_memory=device.type == "cuda")
    model = model.to(device, memory_format=torch.contiguous_format).eval()
    top1 = top5 = n = 0
    with torch.no_grad(), numerics(device, deterministic=False):  # IEEE float32 and cudnn.benchmark, as the reference
        for x, y in loader:
            output = model(x.to(device, non_blocking=True))
            y = y.to(device)
            top = output.topk(5, 1).indices
            top1 += int((top[:, 0] == y).sum())
            top5 += int((top == y[:, None]).any(1).sum())
            n += len(y)
    return TopKCounts(n, top1, top5)


def subset_indices(data: ImageFolder, images: int) -> list[int]:
    """The files `subset_of(images)` picks, so both loops see the same images."""
    from evaluators.data import ClassList, imagenet_c_folder

    folder = imagenet_c_folder(Path(data.root).parents[1], CORRUPTION, SEVERITY,
                               ClassList(tuple(sorted(PHOTO_CLASSES.values()))))
    chosen = {str(folder.path / s.relpath) for s in subset_of(images).select(folder).samples}
    return [i for i, (path, _) in enumerate(data.samples) if path in chosen]


def bare(model: nn.Module, precision: str, batch: int, images: int, device: torch.device, channels_last: bool) -> None:
    """The model alone on normalised tensors already on the device."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(batch, 3, 224, 224, device=device).contiguous(memory_format=memory_format)
    with numerics(device), torch.inference_mode(), torch.autocast(device.type, torch.bfloat16,
                                                                  enabled=precision == "bf16"):
        for start in range(0, images, batch):
            model(x[: min(batch, images - start)])


class NullModel(nn.Module):
    """Constant logits at no cost."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.classes = classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(len(x), self.classes)


def cv2_clip(path: str) -> torch.Tensor:
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        image = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        frames.append(T.functional.normalize(T.functional.to_tensor(image), MEAN, STD))
    return torch.stack(frames)


class ClipFolder(torch.utils.data.Dataset):
    def __init__(self, folder: Path) -> None:
        self.paths = sorted(str(p) for p in folder.glob("*/*.mp4"))

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        return cv2_clip(self.paths[index])


def reference_p(model: nn.Module, folder: Path, perturbation: str, workers: int,
                device: torch.device) -> tuple[SequenceCounts, int]:
    """hendrycks ImageNet-P test.py, modernised: cv2 frames, per-frame scipy ranks, a Python loop over pairs."""
    loader = torch.utils.data.DataLoader(ClipFolder(folder), batch_size=REFERENCE_CLIPS, num_workers=workers,
                                         pin_memory=device.type == "cuda")
    model = model.to(device, memory_format=torch.contiguous_format).eval()
    noise = is_noise_perturbation(perturbation)
    total, frames = SequenceCounts(), 0
    with torch.no_grad(), numerics(device, deterministic=False):
        for clips in loader:
            n, t = clips.shape[:2]
            logits = model(clips.view(n * t, 3, 224, 224).to(device, non_blocking=True)).view(n, t, -1).cpu().numpy()
            frames += n * t
            a, b = pair_indices(t, noise, 1)
            for video in logits:
                ranks = [rankdata(-frame, method="ordinal") for frame in video]
                predictions = [int(np.argmax(frame)) for frame in video]
                flips = distance = 0
                for i, j in zip(a, b, strict=True):
                    flips += predictions[i] != predictions[j]
                    order = np.argsort(ranks[i])[:5]
                    distance += sum(abs(k + 1 - min(int(ranks[j][c]), 6)) for k, c in enumerate(order))
                total = total + SequenceCounts(1, len(a), flips, distance)
    return total, frames


def warm_up(model: nn.Module, args: argparse.Namespace, precision: str, compiled: bool) -> None:
    """oneDNN / cuDNN set-up, and for torch.compile both batch shapes of the timed pass (full and last)."""
    images = args.batch_size + args.images % args.batch_size if compiled else args.batch_size
    shard = CorruptionShard(root=str(args.data / "c"), corruption=CORRUPTION, severity=SEVERITY,
                            subset=subset_of(images))
    run_shard(model, shard, args.device, precision, args.batch_size, classes=CLASSES, workers=args.workers)


# ---- peak memory -------------------------------------------------------------------------------------------

def rss_child(args: argparse.Namespace) -> None:
    model = create_model(args.models[0])  # random weights: memory does not depend on them
    shard = CorruptionShard(root=str(args.data / "c"), corruption=CORRUPTION, severity=SEVERITY,
                            subset=subset_of(args.rss_child))
    result = run_shard(model, shard, args.device, args.precisions[-1], args.batch_size, workers=args.workers,
                       classes=CLASSES)
    print(json.dumps({"images": result.images, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def peak_rss(args: argparse.Namespace, images: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--rss-child", str(images), "--data", str(args.data), "--device",
               args.device, "--models", args.models[0], "--precisions", args.precisions[-1],
               "--batch-size", str(args.batch_size), "--workers", str(args.workers)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[-1])


# ---- the run -----------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=2000, help="ImageNet-C images per timed pass")
    parser.add_argument("--clips", type=int, default=64, help="ImageNet-P clips per perturbation (31 frames)")
    parser.add_argument("--models", nargs="+", default=["resnet50", "resnet50_gcp"])
    parser.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    parser.add_argument("--rss-sizes", nargs="*", type=int, default=[2000, 8000])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=REFERENCE_BATCH)
    parser.add_argument("--workers", type=int, default=None, help="loader processes (default: the runner's)")
    parser.add_argument("--fit-images", type=int, default=256, help="clean images to fit the classifier on")
    parser.add_argument("--replicate", type=int, default=1, help="hard links per unique JPEG")
    parser.add_argument("--compile", action="store_true", help="torch.compile the runner's model")
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "out" / "runner-data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "runner.md")
    parser.add_argument("--rss-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.workers is None:
        args.workers = 1 if device.type == "cpu" else min(os.cpu_count() or 1, 16)
    if args.rss_child is not None:
        rss_child(args)
        return

    build_data(args.data, max([args.images, *args.rss_sizes]), args.clips, args.replicate)
    folder = args.data / "c" / CORRUPTION / str(SEVERITY)
    shard = CorruptionShard(root=str(args.data / "c"), corruption=CORRUPTION, severity=SEVERITY,
                            subset=subset_of(args.images))
    rows: list[list[str]] = []

    def row(*cells: object) -> None:
        rows.append([str(c) for c in cells])
        print(" | ".join(rows[-1]), flush=True)

    for name in args.models:
        torch.manual_seed(0)
        model = fit_classifier(create_model(name), args.data / "val", args.fit_images)
        seconds, expected = timed(device, reference_c, model, folder, args.images, args.workers, device)
        base = args.images / seconds
        row(name, "ImageNet-C", "reference loop fp32 NCHW", f"{base:.1f} img/s", "1.00x", "", "")
        predictions: dict[str, torch.Tensor] = {}
        for precision in args.precisions:
            runner_model = prepare_model(model, device)
            if args.compile:
                runner_model = torch.compile(runner_model)
            seen: list[torch.Tensor] = []
            hook = runner_model.register_forward_hook(lambda m, i, o, seen=seen: seen.append(o.argmax(1).cpu()))
            warm_up(runner_model, args, precision, compiled=args.compile)
            seen.clear()
            clock = Clock()
            seconds, result = timed(device, run_shard, runner_model, shard, device, precision, args.batch_size,
                                    clock, classes=CLASSES, workers=args.workers)
            end = time.perf_counter()
            hook.remove()
            predictions[precision] = torch.cat(seen)
            speed = args.images / seconds
            check = ""
            if precision == "fp32":
                check = "counts equal" if result.counts == expected else f"COUNTS DIFFER {result.counts} {expected}"
            elif "fp32" in predictions:
                check = f"top-1 agreement {100 * (predictions[precision] == predictions['fp32']).float().mean():.2f} %"
            check = "; ".join(filter(None, [check, clock.steady(end, args.images)]))
            target = TARGETS[precision] if device.type == "cpu" else None
            ok = "" if target is None else ("pass" if speed / base >= target else "FAIL")
            row(name, "ImageNet-C", f"runner {precision}", f"{speed:.1f} img/s", f"{speed / base:.2f}x",
                f">= {target}x {ok}" if target else "", check)
            bare(runner_model, precision, args.batch_size, args.batch_size, device, True)  # warm-up
            seconds, _ = timed(device, bare, runner_model, precision, args.batch_size, args.images, device, True)
            ratio = speed / (args.images / seconds)
            row(name, "ImageNet-C", f"bare model {precision} (in memory)", f"{args.images / seconds:.1f} img/s",
                f"runner = {100 * ratio:.0f} %", f">= 90 % {'pass' if ratio >= 0.9 else 'FAIL'}", "")

        for perturbation in PERTURBATIONS:
            clips = args.data / "p" / perturbation
            seconds, (expected_p, frames) = timed(device, reference_p, model, clips, perturbation, args.workers,
                                                  device)
            base_p = frames / seconds
            row(name, f"ImageNet-P {perturbation}", "reference loop fp32 NCHW", f"{base_p:.1f} frames/s", "1.00x",
                "", "")
            for precision in args.precisions:
                p_shard = PerturbationShard(root=str(args.data / "p"), perturbation=perturbation)
                runner_model = prepare_model(model, device)
                clock = Clock()
                seconds, result = timed(device, run_shard, runner_model, p_shard, device, precision, args.batch_size,
                                        clock, classes=CLASSES, workers=args.workers)
                end = time.perf_counter()
                speed = result.images / seconds
                check = ""
                if precision == "fp32":
                    check = "counts equal" if result.counts == expected_p else f"COUNTS DIFFER {result.counts}"
                steady = clock.steady(end, result.counts.sequences).replace("/s", " clips/s")
                check = "; ".join(filter(None, [check, steady]))
                row(name, f"ImageNet-P {perturbation}", f"runner {precision}", f"{speed:.1f} frames/s",
                    f"{speed / base_p:.2f}x", f">= 2x {'pass' if speed / base_p >= 2 else 'FAIL'}", check)

    # The same pass with a model that costs nothing: what reading, decoding, moving and counting allow at most.
    null = NullModel(len(CLASSES)).to(device)
    warm_up(null, args, args.precisions[-1], compiled=False)
    seconds, _ = timed(device, run_shard, null, shard, device, args.precisions[-1], args.batch_size,
                       classes=CLASSES, workers=args.workers)
    row("(none)", "ImageNet-C", "runner with a null model (input pipeline ceiling)",
        f"{args.images / seconds:.1f} img/s", "", "", "")

    if args.rss_sizes:
        peaks = [peak_rss(args, n) for n in args.rss_sizes]
        for n, peak in zip(args.rss_sizes, peaks, strict=True):
            row(args.models[0], "memory", f"runner {args.precisions[-1]}, {n} images", f"{peak['maxrss_mb']:.0f} MB",
                "", "", "")
        spread = max(p["maxrss_mb"] for p in peaks) / min(p["maxrss_mb"] for p in peaks) - 1
        row(args.models[0], "memory", "peak RSS spread", f"{100 * spread:.1f} %", "", f"< 10 % "
            f"{'pass' if spread < 0.1 else 'FAIL'}", "")

    env = environment(device)
    header = (f"# Runner benchmark\n\n{env['device_name']} ({args.device}), torch {env['torch']}, "
              f"{torch.get_num_threads()} threads, {args.workers} loader worker(s), batch {args.batch_size}, "
              f"{args.images} ImageNet-C images, {args.clips} clips per perturbation"
              f"{', torch.compile' if args.compile else ''}.\n\n")
    table = ["| model | data | path | throughput | vs reference | target | check |",
             "|---|---|---|---|---|---|---|", *("| " + " | ".join(r) + " |" for r in rows)]
    text = header + "\n".join(table) + "\n"
    publish(text, args.out)


if __name__ == "__main__":
    main()
