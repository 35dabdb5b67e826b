"""ImageNet-P clips (H.264 MP4) -> uint8 T x H x W x 3 with PyAV, frames as they are (no resize, no crop).

PyAV's rgb24 conversion gives the same pixels as the reference's cv2.VideoCapture + BGR->RGB (both are
FFmpeg's decoder and swscale; tests/data compare them on libx264 yuv420p and yuv444p clips).
"""

from __future__ import annotations

import io

import av
import numpy as np


def decode_video(data: bytes | bytearray) -> np.ndarray:
    """All frames of the first video stream, in order."""
    with av.open(io.BytesIO(data), mode="r") as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        stream = container.streams.video[0]
        stream.thread_count = 1  # parallelism comes from the loader's worker processes
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    if not frames:
        raise ValueError("no frames")
    return np.stack(frames)
