"""GPU self-check of the batched corruption path: `corrupt_batch` on the device against the numpy path, all
19 corruptions × 5 severities, in well under a minute on one GPU.

    python bench/gpu_corruptions_check.py [--device cuda] [--runs 4]

Images: the conformance set's two clean images when $CPBENCH_CONFORMANCE_DIR (or ../shared/conformance) is
there, else the sample photos (Resize(256) + CenterCrop(224), as the `photo224` test fixture; two need
scikit-learn and are left out without it). Frost
textures: <conformance>/frost, else $CPBENCH_FROST_DIR or an installed imagecorruptions (frost is skipped
when none is found).

Per (corruption, severity), printed as max abs diff / % of uint8 values that differ:

* deterministic: the device output against the numpy path (the golden PNG on the conformance set);
* random, `numpy_rng=True`: the device path fed the numpy path's own draws for a seed, against
  corrupt(image, seed=seed) (the golden PNG with its manifest seed on the conformance set);
* random, torch draws (the default): `--runs` per image; ΔPSNR = their mean PSNR minus the reference's:
  on the conformance set stats.json's per-image mean (worst image), within its tol_single_vs_image_mean;
  on the photos as many numpy-path runs (mean over photos), within 4 standard errors + 0.05 dB.

Pass: deterministic and numpy_rng cells within the conformance README's deterministic tolerance (max abs
diff ≤ 1, ≤ 5 % of values differing, ≤ 20 % for brightness and saturate), ΔPSNR within its bound. A last
section times a few float64 building blocks against float32 on the device (the path computes in float64
where the numpy path does). Exit status 1 if a cell fails. The device path does not depend on the installed
OpenCV/SciPy (it reimplements them, as of OpenCV 5.0.0 and SciPy 1.17.1), but the numpy path and Pillow's
JPEG codec do: with other versions a cell may differ by 1 without a fault in the device path.
"""

# ruff: noqa: E402  (the repository root goes on sys.path first, for a checkout that is not pip-installed)
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2
import numpy as np
import PIL
import scipy
import torch
from PIL import Image

from evaluators.corruptions import ALL_CORRUPTIONS, SEVERITIES, corrupt, corrupt_batch, corruption_entry
from evaluators.errors import MissingAssetError
from evaluators.seeding import derive_seed

LOOSE = {"brightness", "saturate"}  # the README allows 20 % of values to differ for these, 5 % otherwise


def conformance_dir() -> Path | None:
    folder = Path(os.environ.get("CPBENCH_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance"))
    return folder if (folder / "imagenet_c" / "manifest.json").is_file() else None


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def photos() -> dict[str, np.ndarray]:
    """The sample photos that load here (two of them come with scikit-learn, which may be missing)."""
    from evaluators.data.sample_photos import PHOTOS, photo
    from evaluators.data.transforms import resize_center_crop

    loaded = {}
    for name in PHOTOS:
        try:
            loaded[name] = np.asarray(resize_center_crop(Image.fromarray(photo(name))))
        except ImportError:
            continue
    return loaded


def psnr(clean: np.ndarray, out: np.ndarray) -> float:
    mse = np.mean((clean.astype(np.float64) - out) ** 2)
    return float(10 * np.log10(255.0**2 / mse)) if mse else float("inf")


def frost_folder(conformance: Path | None) -> Path | None:
    from evaluators.corruptions import resolve_frost_dir

    try:
        return resolve_frost_dir(conformance / "frost" if conformance else None)
    except MissingAssetError:
        return None


def check(device: str, runs: int) -> tuple[list[str], bool]:
    conformance = conformance_dir()
    if conformance:
        c_dir = conformance / "imagenet_c"
        manifest = json.loads((c_dir / "manifest.json").read_text())
        stats = json.loads((c_dir / "stats.json").read_text())["corruptions"]
        images = {name: read_rgb(c_dir / name / "clean.png") for name in manifest["images"]}
    else:
        images = photos()
    frost_dir = frost_folder(conformance)
    names = list(images)
    batch = torch.from_numpy(np.stack([images[n] for n in names])).permute(0, 3, 1, 2).contiguous().to(device)
    repeated = batch.repeat_interleave(runs, dim=0)
    source = f"conformance set {conformance}" if conformance else f"sample photos {', '.join(names)}"
    lines = [f"corrupt_batch on {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'CPU'}) vs the "
             f"numpy path; {source}", f"torch {torch.__version__}, numpy {np.__version__}, OpenCV {cv2.__version__}, "
             f"Pillow {PIL.__version__}, SciPy {scipy.__version__} (the numpy path is the reference's bytes with "
             "OpenCV 5.0.0, Pillow 13.0.0, SciPy 1.17.1; other versions may move numpy_rng cells by 1)", "",
             "cells: max abs diff/% differing; random: numpy_rng cell, then |ΔPSNR| of torch draws ≤ its bound (dB)",
             "",
             "| corruption | " + " | ".join(f"s{s}" for s in SEVERITIES) + " |", "|---" * 6 + "|"]
    all_ok = True
    for name in ALL_CORRUPTIONS:
        if name == "frost" and frost_dir is None:
            lines.append("| frost | " + " | ".join(["skipped: no frost textures"] * 5) + " |")
            continue
        deterministic = corruption_entry(name).deterministic
        cells = []
        for severity in SEVERITIES:
            if conformance:
                seeds = [manifest["outputs"][f"{n}/{name}/{severity}"]["seed"] or 0 for n in names]
                expected = [read_rgb(c_dir / n / name / f"{severity}.png") for n in names]
            else:
                seeds = [derive_seed(0, name, severity, n) for n in names]
                expected = [corrupt(images[n], name, severity, seed=seed, frost_dir=frost_dir)
                            for n, seed in zip(names, seeds, strict=True)]
            out = corrupt_batch(batch, name, severity, seeds, numpy_rng=not deterministic, frost_dir=frost_dir)
            diff = np.abs(out.permute(0, 2, 3, 1).cpu().numpy().astype(int) - np.stack(expected))
            fraction = float((diff > 0).mean())
            ok = int(diff.max()) <= 1 and fraction <= (0.20 if name in LOOSE else 0.05)
            cell = f"{int(diff.max())}/{100 * fraction:.2f}%"
            if not deterministic:
                gap, bound = _psnr_gap(name, severity, images, repeated, runs, frost_dir,
                                       stats[name][str(severity)] if conformance else None)
                ok &= abs(gap) <= bound
                cell += f" Δ{gap:+.2f}≤{bound:.2f}"
            all_ok &= ok
            cells.append(cell + ("" if ok else " FAIL"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines, all_ok


def _psnr_gap(name: str, severity: int, images: dict[str, np.ndarray], repeated: torch.Tensor, runs: int,
              frost_dir: Path | None, reference: dict | None) -> tuple[float, float]:
    """(mean PSNR of `runs` torch-drawn outputs per image − the reference's, its bound). Conformance set: the
    worst image against stats.json. Photos: the mean over photos against as many numpy-path runs, bound 4
    standard errors (pooled over photos) + 0.05 dB."""
    names = list(images)
    seeds = [derive_seed(7, name, severity, n, k) for n in names for k in range(runs)]
    out = corrupt_batch(repeated, name, severity, seeds, frost_dir=frost_dir).permute(0, 2, 3, 1).cpu().numpy()
    ours = {n: np.array([psnr(images[n], out[i * runs + k]) for k in range(runs)]) for i, n in enumerate(names)}
    if reference is not None:
        gaps = [ours[n].mean() - reference["per_image"][n]["psnr_mean"] for n in names]
        gap = max(gaps, key=abs)
        return float(gap), float(reference["tolerance_psnr"]["tol_single_vs_image_mean"])
    gaps, variances = [], []
    for n in names:
        rng = np.random.default_rng(derive_seed(8, name, severity, n))
        theirs = np.array([psnr(images[n], corrupt(images[n], name, severity, seed=rng, frost_dir=frost_dir))
                           for _ in range(runs)])
        gaps.append(ours[n].mean() - theirs.mean())
        variances.append((ours[n].var(ddof=1) + theirs.var(ddof=1)) / runs)
    return float(np.mean(gaps)), float(4 * np.sqrt(np.sum(variances)) / len(names) + 0.05)


def precision_cost(device: str, batch_size: int = 64) -> list[str]:
    """ms per batch of three float64 building blocks and the same code in float32."""
    from evaluators.corruptions.batched.color import hsv_to_rgb, rgb_to_hsv
    from evaluators.corruptions.batched.filters import correlate2d_reflect101, gaussian_filter
    from evaluators.imageops.disk import disk_kernel

    kernel = torch.tensor(disk_kernel(6, 0.5), device=device)
    blocks = {
        "gaussian σ=3 (scipy order)": lambda x: gaussian_filter(x, 3.0),
        "defocus FFT correlation": lambda x: correlate2d_reflect101(x, kernel.to(x.dtype)),
        "HSV round trip": lambda x: hsv_to_rgb(rgb_to_hsv(x)),
    }
    lines = ["", f"float64 vs float32 on {device}, batch {batch_size}: ms per batch", "",
             "| block | float64 | float32 |", "|---|---|---|"]
    for label, block in blocks.items():
        cells = []
        for dtype in (torch.float64, torch.float32):
            x = torch.rand(batch_size, 3, 224, 224, device=device, dtype=dtype)
            block(x)
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(5):
                block(x)
            if device == "cuda":
                torch.cuda.synchronize()
            cells.append(f"{(time.perf_counter() - start) / 5 * 1000:.2f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--runs", type=int, default=4, help="torch-drawn runs per image for ΔPSNR")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    lines, ok = check(args.device, args.runs)
    lines += precision_cost(args.device)
    lines += ["", f"{'PASS' if ok else 'FAIL'} in {time.perf_counter() - start:.1f} s"]
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
