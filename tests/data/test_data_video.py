"""ImageNet-P clips: PyAV frames equal the reference's cv2.VideoCapture frames (same FFmpeg decoder and
colour conversion), for 4:2:0 and 4:4:4 H.264; broken clips raise."""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from evaluators.data.sample_sets import sample_clip, write_clip
from evaluators.data.video import decode_video


def cv2_frames(path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return np.stack(frames)


def write(path, frames, pix_fmt):
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height, stream.pix_fmt = 224, 224, pix_fmt
        stream.options = {"crf": "20"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


@pytest.mark.skipif("FFMPEG" not in cv2.getBuildInformation(), reason="OpenCV built without FFmpeg")
@pytest.mark.parametrize(("pix_fmt", "noise"), [("yuv420p", None), ("yuv444p", None), ("yuv420p", 0.05)])
def test_frames_equal_cv2(tmp_path, pix_fmt, noise):
    frames = sample_clip("astronaut", np.random.default_rng(4), 9, noise)
    path = tmp_path / "clip.mp4"
    write(path, frames, pix_fmt)
    decoded = decode_video(path.read_bytes())
    assert decoded.shape == (9, 224, 224, 3) and decoded.dtype == np.uint8
    assert np.array_equal(decoded, cv2_frames(path))
    assert np.abs(decoded.astype(int) - frames).mean() < 8  # and they are the clip that was written


def test_write_clip_round_trip(tmp_path):
    frames = sample_clip("coffee", np.random.default_rng(0), 5, None)
    write_clip(tmp_path / "a" / "b.mp4", frames)
    assert decode_video((tmp_path / "a" / "b.mp4").read_bytes()).shape == frames.shape


def test_broken_clips_raise(tmp_path):
    with pytest.raises((av.FFmpegError, ValueError)):
        decode_video(b"definitely not an mp4")
    frames = sample_clip("coffee", np.random.default_rng(0), 5, None)
    write_clip(tmp_path / "c.mp4", frames)
    with pytest.raises((av.FFmpegError, ValueError)):
        decode_video((tmp_path / "c.mp4").read_bytes()[:200])
