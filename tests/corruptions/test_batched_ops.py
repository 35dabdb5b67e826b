"""The batched path's building blocks against what they reproduce (the numpy path's `imageops`, SciPy, Pillow,
OpenCV), on inputs beyond the conformance images: bit for bit on the CPU, to float rounding on a GPU."""

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from evaluators.corruptions import corruption_entry
from evaluators.corruptions.batched.color import hsv_to_rgb, rgb_to_hsv
from evaluators.corruptions.batched.draws import NumpyDraws
from evaluators.corruptions.batched.filters import correlate2d_reflect101, gaussian_filter
from evaluators.corruptions.batched.geometry import map_coordinates_reflect, warp_affine_reflect101
from evaluators.corruptions.batched.motion import motion_blur
from evaluators.corruptions.batched.plasma import plasma_fractal
from evaluators.corruptions.batched.resample import clipped_zoom, pil_box_resize
from evaluators.corruptions.batched.shuffle import local_shuffle
from evaluators.corruptions.batched.water import canny, distance_to_edges, equalize_hist, water_spots
from evaluators.corruptions.rng import IntSeedStream
from evaluators.imageops import clipped_zoom as numpy_clipped_zoom
from evaluators.imageops import disk_kernel, visit_order
from evaluators.imageops import gaussian_filter as numpy_gaussian_filter
from evaluators.imageops import hsv_to_rgb as numpy_hsv_to_rgb
from evaluators.imageops import local_shuffle as numpy_local_shuffle
from evaluators.imageops import motion_blur as numpy_motion_blur
from evaluators.imageops import plasma_fractal as numpy_plasma_fractal
from evaluators.imageops import rgb_to_hsv as numpy_rgb_to_hsv

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def agree(out: torch.Tensor, expected: np.ndarray, device: str, atol: float = 1e-12) -> None:
    actual = out.cpu().numpy()
    assert actual.shape == expected.shape
    if device == "cpu":
        assert actual.dtype == expected.dtype and np.array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual.astype(float), expected.astype(float), rtol=0, atol=atol)


def chw(images: np.ndarray, device: str) -> torch.Tensor:
    """(B, H, W, C) numpy → (B, C, H, W) tensor on `device`."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).to(device)


def spatter_layers(count: int) -> np.ndarray:
    """8-bit liquid layers as spatter's water makes them, plus noise and a constant layer."""
    rng = np.random.default_rng(0)
    layers = []
    for k in range(count):
        liquid = numpy_gaussian_filter(rng.normal(0.65, 0.3, (224, 224)), (4, 3, 2)[k % 3], channel_axis=None)
        liquid[liquid < 0.68] = 0
        layers.append((liquid * 255).astype(np.uint8))
    layers += [rng.integers(0, 256, (224, 224), dtype=np.uint8), np.full((224, 224), 9, dtype=np.uint8)]
    return np.stack(layers)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("sigma, mode, truncate", [(0.7, "nearest", 4.0), (6, "nearest", 4.0), (2.44, "reflect", 3.0)])
def test_gaussian_filter(device: str, sigma: float, mode: str, truncate: float) -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (2, 64, 64, 3)) / 255.0
    images[:, 10:40, 5:50] = 1.0  # a flat area, where the last bit decides the uint8 truncation
    expected = np.stack([numpy_gaussian_filter(i, sigma, mode=mode, truncate=truncate) for i in images])
    out = gaussian_filter(chw(images, device), sigma, mode=mode, truncate=truncate).permute(0, 2, 3, 1)
    agree(out, expected, device)
    fields = rng.random((2, 64, 64)).astype(np.float32)  # float32: rounded after each axis, as SciPy stores it
    expected = np.stack([numpy_gaussian_filter(f, sigma, mode=mode, truncate=truncate, channel_axis=None)
                         for f in fields])
    agree(gaussian_filter(torch.from_numpy(fields).to(device), sigma, mode=mode, truncate=truncate), expected,
          device, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_defocus_correlation_is_opencv_filter2d(device: str) -> None:
    images = np.random.default_rng(2).random((2, 224, 224, 3))
    for radius, alias in ((3, 0.1), (10, 0.5)):
        kernel = disk_kernel(radius, alias)
        expected = np.stack([cv2.filter2D(i, -1, kernel) for i in images])
        out = correlate2d_reflect101(chw(images, device), torch.tensor(kernel, device=device)).permute(0, 2, 3, 1)
        np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("device", DEVICES)
def test_clipped_zoom(device: str) -> None:
    planes = np.random.default_rng(3).random((2, 224, 224))
    zooms = sorted({z for zooms in corruption_entry("zoom_blur").params for z in zooms}
                   | {p.zoom for p in corruption_entry("snow").params})
    for zoom in zooms:
        expected = np.stack([numpy_clipped_zoom(p, zoom) for p in planes])
        agree(clipped_zoom(torch.from_numpy(planes).to(device), zoom), expected, device)


@pytest.mark.parametrize("device", DEVICES)
def test_pil_box_resize(device: str) -> None:
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    images[1] = np.kron(rng.integers(0, 256, (28, 28, 3)), np.ones((8, 8, 1))).astype(np.uint8)
    for size in (134, 112, 89, 67, 56, 57, 150, 300):
        expected = np.stack([np.asarray(Image.fromarray(i).resize((size, size), Image.Resampling.BOX))
                             for i in images])
        out = pil_box_resize(chw(images, device), size).permute(0, 2, 3, 1).to(torch.uint8)
        agree(out, expected, device, atol=0)
        back = pil_box_resize(torch.from_numpy(expected).permute(0, 3, 1, 2).to(device), 224)
        expected_back = np.stack([np.asarray(Image.fromarray(i).resize((224, 224), Image.Resampling.BOX))
                                  for i in expected])
        agree(back.permute(0, 2, 3, 1).to(torch.uint8), expected_back, device, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_hsv_round_trip(device: str) -> None:
    rgb = np.random.default_rng(5).integers(0, 256, size=(1, 96, 96, 3), dtype=np.uint8)
    rgb[0, :16, :, 1] = rgb[0, :16, :, 0]  # ties for the maximum
    rgb[0, 16:32, :, 2] = rgb[0, 16:32, :, 1]
    rgb[0, 32:48] = rgb[0, 32:48, :, :1]  # greys
    rgb[0, 48:56], rgb[0, 56:64] = 0, 255
    hsv = numpy_rgb_to_hsv(rgb / 255.0)
    agree(rgb_to_hsv(chw(rgb / 255.0, device)).permute(0, 2, 3, 1), hsv, device)
    edited = hsv.copy()
    edited[..., 1] = np.clip(edited[..., 1] * 20 + 0.2, 0, 1)
    agree(hsv_to_rgb(chw(edited, device)).permute(0, 2, 3, 1), numpy_hsv_to_rgb(edited), device)


@pytest.mark.parametrize("device", DEVICES)
def test_motion_blur(device: str) -> None:
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (4, 48, 40, 3), dtype=np.uint8)
    angles = [-90.0, -60.0, 0.0, 37.5]  # −90° and −60° put tap offsets on rounding edges
    expected = np.stack([numpy_motion_blur(i, 15, 5, a) for i, a in zip(images, angles, strict=True)])
    out = motion_blur(chw(images, device), 15, 5, torch.tensor(angles))
    agree(out.permute(0, 2, 3, 1), expected, device, atol=0)
    grey = images[..., 0]
    expected = np.stack([numpy_motion_blur(g, 12, 4, a) for g, a in zip(grey, angles, strict=True)])
    agree(motion_blur(torch.from_numpy(grey)[:, None].to(device), 12, 4, torch.tensor(angles))[:, 0], expected,
          device, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_local_shuffle(device: str) -> None:
    rng = np.random.RandomState(7)
    images = np.random.default_rng(7).integers(0, 256, (2, 40, 40, 3), dtype=np.uint8)
    for delta, passes in ((1, 2), (4, 2)):
        shifts = rng.randint(-delta, delta, size=(2, passes, visit_order(40, 40, delta).size, 2))
        expected = np.stack([numpy_local_shuffle(i, delta, s) for i, s in zip(images, shifts, strict=True)])
        out = local_shuffle(chw(images, device), delta, torch.from_numpy(shifts).to(device))
        agree(out.permute(0, 2, 3, 1), expected, device, atol=0)


@pytest.mark.parametrize("device", DEVICES)
def test_plasma_fractal_draws_the_numpy_stream(device: str) -> None:
    seeds = [8, 9]
    draws = NumpyDraws(torch.device(device), seeds, IntSeedStream.LEGACY)
    expected = np.stack([numpy_plasma_fractal(np.random.RandomState(s), wibbledecay=1.7) for s in seeds])
    agree(plasma_fractal(draws, wibbledecay=1.7), expected, device)


@pytest.mark.parametrize("device", DEVICES)
def test_elastic_resampling(device: str) -> None:
    rng = np.random.default_rng(10)
    image = cv2.GaussianBlur(rng.random((224, 224, 3)).astype(np.float32), (0, 0), 2)
    before = np.float32([[186, 186], [186, 38], [38, 38]])
    matrices = [cv2.getAffineTransform(before, before + rng.uniform(-48, 48, (3, 2)).astype(np.float32))
                for _ in range(2)]
    expected = np.stack([cv2.warpAffine(image, m, (224, 224), borderMode=cv2.BORDER_REFLECT_101) for m in matrices])
    out = warp_affine_reflect101(chw(np.stack([image, image]), device), torch.tensor(np.stack(matrices)).to(device))
    agree(out.permute(0, 2, 3, 1), expected, device, atol=1e-6)
    # Coordinates far outside the image exercise SciPy's 'reflect' mapping and its edge taps.
    rows = rng.uniform(-300, 520, (1, 224, 224))
    cols = np.arange(224)[None, None, :] + rng.normal(0, 4, (1, 224, 224))
    expected = np.stack([ndimage.map_coordinates(image[..., c], (rows[0].ravel(), cols[0].ravel()), order=1,
                                                 mode="reflect").reshape(224, 224) for c in range(3)], axis=-1)
    out = map_coordinates_reflect(chw(image[None], device), torch.from_numpy(rows).to(device),
                                  torch.from_numpy(cols).to(device))
    agree(out[0].permute(1, 2, 0), expected, device, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_water_chain_is_opencv(device: str) -> None:
    layers = spatter_layers(9)
    edges = np.stack([cv2.Canny(layer, 50, 150) for layer in layers])
    torch_layers = torch.from_numpy(layers).to(device)
    agree(canny(torch_layers), edges > 0, device, atol=0)
    distance = np.stack([np.minimum(cv2.distanceTransform(255 - e, cv2.DIST_L2, 5), 20) for e in edges])
    agree(distance_to_edges(torch.from_numpy(edges > 0).to(device)), distance, device, atol=0)
    agree(equalize_hist(torch_layers), np.stack([cv2.equalizeHist(layer) for layer in layers]), device, atol=0)
    expected = []
    for dist in distance:  # the numpy path's chain after the distance transform
        dist = cv2.equalizeHist(cv2.blur(dist, (3, 3)).astype(np.uint8))
        dist = cv2.filter2D(dist, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]))
        expected.append(cv2.blur(dist, (3, 3)).astype(np.float32))
    agree(water_spots(torch_layers), np.stack(expected), device, atol=0)
