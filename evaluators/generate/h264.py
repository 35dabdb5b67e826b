"""H.264 MP4 clips as the reference's ffmpeg command writes them (spec imagenet_cp.md §3):
`ffmpeg -r 1 -framerate 1 -i img%d.png -vcodec libx264 <-crf 20 | -tune grain> -preset veryslow`.

Through PyAV's libx264: 1 frame per second, RGB frames converted to yuv444p (what ffmpeg picks for RGB input;
profile High 4:4:4 Predictive), x264's options otherwise identical to the reference's bar the thread count:
one encoder thread, so a clip's bytes never depend on the machine.
"""

from __future__ import annotations

import io

import av
import numpy as np

PIXEL_FORMAT = "yuv444p"
PRESET = "veryslow"
CRF = 20  # all but the noise perturbations


def x264_options(grain: bool, preset: str = PRESET) -> dict[str, str]:
    """The reference's rate control: `-tune grain` (default CRF 23) for noise, `-crf 20` otherwise."""
    return {"preset": preset, **({"tune": "grain"} if grain else {"crf": str(CRF)})}


def encode_h264(frames: np.ndarray, options: dict[str, str]) -> bytes:
    """uint8 T×H×W×3 RGB frames → MP4 bytes, one frame per second."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = PIXEL_FORMAT
        stream.options = options
        stream.codec_context.thread_count = 1
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        container.mux(stream.encode())
    return buffer.getvalue()
