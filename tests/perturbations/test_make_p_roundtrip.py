"""make-p's clips as the reference encodes them, read back by the runner: codec loss as measured on the
reference's own encodings (conformance README), and FP / top-5 distance from the decoded frames."""

import io
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from torch import nn

from evaluators.benchmarks import is_noise_perturbation
from evaluators.data import ClassList
from evaluators.data.sample_photos import PHOTO_CLASSES, write_sample_folder
from evaluators.data.video import decode_video
from evaluators.generate.h264 import encode_h264, x264_options
from evaluators.generate.imagenet_p import MakeP, load_resized
from evaluators.metrics import SequenceCounts, imagenet_p_report, sequence_counts
from evaluators.perturbations import sequence
from evaluators.runner import PerturbationShard, run_shard

PHOTOS = ("chelsea", "coffee")
CHOSEN = ("gaussian_noise", "brightness", "translate")
MEAN, STD = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])


def _psnr_per_frame(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean(axis=(1, 2, 3))
    return 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("name", ["brightness", "translate", "gaussian_noise"])
def test_encoding_is_the_references(chelsea, p_manifest, name):
    """The conformance sequence encoded as make-p does loses what the reference's ffmpeg command lost (per-frame
    PSNR of the decoded frames, and the file size), up to the encoder's thread count (3 there, 1 here)."""
    frames = sequence(chelsea, name, seed=7)
    clip = encode_h264(frames, x264_options(grain=is_noise_perturbation(name)))
    measured = p_manifest["perturbations"][name]["codec_roundtrip"]  # translate: the same frames in both geometries
    ours = _psnr_per_frame(decode_video(clip), frames)
    assert np.abs(ours - np.array(measured["psnr_decoded_vs_png_per_frame"])).max() < 0.5
    assert abs(ours.mean() - measured["psnr_decoded_vs_png_mean"]) < 0.1
    assert abs(len(clip) / measured["mp4_bytes"] - 1) < 0.02
    with av.open(io.BytesIO(clip)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv444p")
        assert stream.codec_context.profile == measured["stream"]["profile"] and stream.average_rate == 1


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, MakeP]:
    """make-p with the reference's encoder settings (veryslow) on two photos."""
    root = tmp_path_factory.mktemp("roundtrip")
    write_sample_folder(root / "src", per_class=1, photos=PHOTOS)
    job = MakeP(root / "src", root / "p", CHOSEN)
    assert not job.run().failed
    return root, job


@pytest.mark.parametrize("name", CHOSEN)
def test_decoded_clips_match_the_frames_within_the_codec_loss(made, p_manifest, name):
    root, job = made
    measured = p_manifest["perturbations"][name]["codec_roundtrip"]
    for path in sorted((root / "src").glob("*/*")):
        relpath = f"{path.parent.name}/{path.name}"
        rng = np.random.default_rng(job.seed_for(name, 1, relpath))
        frames = sequence(load_resized(path), name, seed=rng)
        decoded = decode_video(job.output(name, 1, relpath).read_bytes())
        assert decoded.shape == frames.shape
        quality = _psnr_per_frame(decoded, frames)
        # Photo content moves these by about a dB around the conformance image's numbers.
        assert abs(quality.mean() - measured["psnr_decoded_vs_png_mean"]) < 1.5, relpath
        assert quality.min() > measured["psnr_decoded_vs_png_min"] - 1.5, relpath


class _SmallNet(nn.Module):
    def __init__(self, classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 5, stride=4), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2),
                                      nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.fc = nn.Linear(16 * 16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


def test_runner_counts_flips_and_top5_distance_from_the_clips(made):
    """run_shard on make-p's folders gives the counts of the decoded frames' logits (ToTensor + Normalize),
    and a report of flip probability and top-5 distance."""
    root = made[0]
    classes = ClassList(tuple(sorted(PHOTO_CLASSES.values())))
    torch.manual_seed(0)
    model = _SmallNet(len(classes)).eval()
    flip, distance = {}, {}
    for name in CHOSEN:
        result = run_shard(model, PerturbationShard(root=str(root / "p"), perturbation=name), classes=classes,
                           workers=0)
        expected = SequenceCounts()
        for clip in sorted((root / "p" / name).glob("*/*.mp4")):
            pixels = torch.from_numpy(decode_video(clip.read_bytes())).permute(0, 3, 1, 2).float().div(255)
            with torch.no_grad():
                logits = model((pixels - MEAN[:, None, None]) / STD[:, None, None]).numpy()
            expected = expected + sequence_counts(logits, is_noise_perturbation(name))
        assert result.counts == expected
        assert result.counts.sequences == len(PHOTOS)
        assert result.counts.pairs == len(PHOTOS) * (40 if name == "translate" else 30)
        flip[name] = result.counts.flips / result.counts.pairs
        distance[name] = result.counts.top5_distance_sum / result.counts.pairs
    report = imagenet_p_report(flip, distance)
    assert set(report.flip_probability) == set(CHOSEN)
    assert all(0 <= v <= 1 for v in report.flip_probability.values())
    assert all(0 <= v <= 15 for v in report.top5_distance.values())
