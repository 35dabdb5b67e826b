"""The decoder is chosen for speed only because its pixels equal PIL's, the reference loader's: checked on real
quality-85 JPEGs of every kind ImageNet-C and ImageNet val hold, plus PIL's fallback and failures."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from evaluators.data.decode import center_crop, decode_clean, decode_rgb
from evaluators.data.sample_photos import PHOTOS, photo, photo_variant
from evaluators.data.transforms import resize_center_crop


def encode(image: Image.Image, **options) -> bytearray:
    buffer = io.BytesIO()
    image.save(buffer, **{"format": "JPEG", "quality": 85, "optimize": True, **options})
    return bytearray(buffer.getvalue())


def pil_rgb(data: bytearray) -> np.ndarray:
    return np.array(Image.open(io.BytesIO(bytes(data))).convert("RGB"))


def noisy(image: np.ndarray, sigma: float, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(np.uint8(np.clip(image / 255 + rng.normal(0, sigma, image.shape), 0, 1) * 255))


@pytest.mark.parametrize("name", sorted(PHOTOS))
def test_jpeg_decode_equals_pil(photo224, name):
    image = Image.fromarray(photo224[name])
    variants = {
        "q85 4:2:0 (the release)": encode(image),
        "noisy, as gaussian_noise s5": encode(noisy(photo224[name], 0.38, 1)),
        "4:4:4": encode(image, subsampling=0),
        "progressive": encode(image, progressive=True),
        "greyscale": encode(image.convert("L")),
        "CMYK": encode(image.convert("CMYK")),
        "full-size photo": encode(Image.fromarray(photo(name)), quality=90, optimize=False),
    }
    for kind, data in variants.items():
        assert torch.equal(decode_rgb(data), torch.from_numpy(pil_rgb(data))), kind


def test_other_formats_go_through_pil(photo224):
    buffer = io.BytesIO()
    Image.fromarray(photo224["coffee"]).convert("RGBA").save(buffer, format="PNG")
    assert torch.equal(decode_rgb(bytearray(buffer.getvalue())), torch.from_numpy(photo224["coffee"].copy()))


def test_undecodable_bytes_raise_like_pil(photo224):
    truncated = encode(Image.fromarray(photo224["rocket"]))[:700]
    with pytest.raises(OSError):
        pil_rgb(truncated)
    with pytest.raises(OSError, match="truncated"):
        decode_rgb(truncated)
    with pytest.raises(ValueError, match="not an image format PIL can read"):
        decode_rgb(bytearray(b"GIF? no, just text"))


def test_clean_protocol_and_center_crop():
    image = photo_variant("chelsea", np.random.default_rng(0))
    data = encode(image, quality=90)
    expected = np.array(resize_center_crop(Image.open(io.BytesIO(bytes(data)))))
    assert torch.equal(decode_clean(data, 256, 224), torch.from_numpy(expected))
    big = decode_rgb(data)
    want = TF.center_crop(Image.fromarray(big.numpy()), [224, 224])
    assert torch.equal(center_crop(big, 224), torch.from_numpy(np.array(want)))
    small = center_crop(big, 224)
    assert center_crop(small, 224) is small  # the ImageNet-C case: a no-op
