"""evaluators.imageops against the library calls (or the reference loop) each primitive replaces."""

import json
import math

import numpy as np
import pytest
import skimage.color
import skimage.filters
from scipy import ndimage

from evaluators.corruptions import corruption_entry
from evaluators.imageops import (
    clipped_zoom,
    clipped_zoom_sum,
    disk_kernel,
    gaussian_filter,
    hsv_to_rgb,
    local_shuffle,
    motion_blur,
    motion_blur_kernel,
    plasma_fractal,
    reflect_gaussian_matrix,
    rgb_to_hsv,
    visit_order,
)

ZOOMS = sorted({z for zooms in corruption_entry("zoom_blur").params for z in zooms}
               | {p.zoom for p in corruption_entry("snow").params})


def scipy_clipped_zoom(img: np.ndarray, zoom: float) -> np.ndarray:
    """The reference's clipped_zoom, spelled out on scipy.ndimage.zoom."""
    h = img.shape[0]
    crop = math.ceil(h / zoom)
    top = (h - crop) // 2
    zoomed = ndimage.zoom(img[top:top + crop, top:top + crop], (zoom, zoom) + (1,) * (img.ndim - 2), order=1)
    trim = (zoomed.shape[0] - h) // 2
    return zoomed[trim:trim + h, trim:trim + h]


@pytest.mark.parametrize("shape, dtype", [((224, 224, 3), np.float32), ((224, 224, 1), np.float64),
                                          ((224, 224), np.float64)])
def test_clipped_zoom_is_scipy_zoom_bit_for_bit(shape, dtype) -> None:
    img = np.random.default_rng(0).random(shape).astype(dtype)
    for zoom in ZOOMS:
        expected = scipy_clipped_zoom(img, zoom)
        out = clipped_zoom(img, zoom)
        assert out.dtype == expected.dtype and np.array_equal(out, expected), zoom


def test_clipped_zoom_sum_accumulates_in_float32() -> None:
    img = np.random.default_rng(1).random((224, 224, 3)).astype(np.float32)
    for zooms in corruption_entry("zoom_blur").params:
        expected = np.zeros_like(img)
        for zoom in zooms:
            expected += scipy_clipped_zoom(img, zoom)
        assert np.array_equal(clipped_zoom_sum(img, zooms), expected)


def test_hsv_round_trip_is_scikit_image_bit_for_bit() -> None:
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, size=(96, 96, 3), dtype=np.uint8)
    rgb[:16, :, 1] = rgb[:16, :, 0]  # ties for the maximum: blue > green > red precedence
    rgb[16:32, :, 2] = rgb[16:32, :, 1]
    rgb[32:48] = rgb[32:48, :, :1]  # greys
    rgb[48:56] = 0
    rgb[56:64] = 255
    x = rgb / 255.0
    hsv = rgb_to_hsv(x)
    assert np.array_equal(hsv, skimage.color.rgb2hsv(x))
    for edit in (lambda h: h, lambda h: h.__setitem__((..., 2), np.clip(h[..., 2] + 0.3, 0, 1)),
                 lambda h: h.__setitem__((..., 1), np.clip(h[..., 1] * 20 + 0.2, 0, 1))):
        edited = hsv.copy()
        edit(edited)
        assert np.array_equal(hsv_to_rgb(edited), skimage.color.hsv2rgb(edited))


@pytest.mark.parametrize("sigma, mode, truncate", [(0.7, "nearest", 4.0), (1.5, "nearest", 4.0),
                                                   (6, "nearest", 4.0), (2.44, "reflect", 3.0)])
def test_gaussian_filter_is_scikit_image(sigma, mode, truncate) -> None:
    rng = np.random.default_rng(3)
    for img, axis in ((rng.random((64, 64, 3)), -1), (rng.random((64, 64)), None),
                      (rng.random((64, 64)).astype(np.float32), None)):
        expected = skimage.filters.gaussian(img, sigma=sigma, mode=mode, truncate=truncate, channel_axis=axis)
        out = gaussian_filter(img, sigma, mode=mode, truncate=truncate, channel_axis=axis)
        assert out.dtype == expected.dtype and np.array_equal(out, expected)
        copy = img.copy()
        assert gaussian_filter(copy, sigma, mode=mode, truncate=truncate, channel_axis=axis, in_place=True) is copy
        assert np.array_equal(copy, expected)


@pytest.mark.parametrize("sigma", [244 * 0.7, 244 * 0.08, 2.44])
def test_reflect_gaussian_matrix_matches_scipy(sigma: float) -> None:
    rng = np.random.RandomState(4)
    matrix = reflect_gaussian_matrix(224, sigma, 3.0)
    for _ in range(3):
        field = rng.uniform(-1, 1, size=(224, 224))
        expected = ndimage.gaussian_filter(field, sigma, mode="reflect", truncate=3.0)
        fast = matrix @ field @ matrix.T
        np.testing.assert_allclose(fast, expected, rtol=0, atol=1e-14)
        # What elastic_transform keeps: ×488, float32. The rounding difference does not survive the cast.
        assert np.array_equal((fast * 488).astype(np.float32), (expected * 488).astype(np.float32))


def reference_shuffle_loop(image: np.ndarray, delta: int, passes: int, rng: np.random.RandomState) -> np.ndarray:
    """glass_blur's pixel loop as the reference writes it (on a small image)."""
    x = image.copy()
    size = x.shape[0]
    for _ in range(passes):
        for h in range(size - delta, delta, -1):
            for w in range(size - delta, delta, -1):
                dx, dy = rng.randint(-delta, delta, size=(2,))
                h_prime, w_prime = h + dy, w + dx
                x[h, w], x[h_prime, w_prime] = x[h_prime, w_prime], x[h, w]  # a copy, with NumPy views
    return x


@pytest.mark.parametrize("delta, passes", [(1, 2), (2, 1), (2, 3), (3, 2), (4, 2)])
def test_local_shuffle_is_the_reference_loop(delta: int, passes: int) -> None:
    image = np.random.default_rng(5).integers(0, 256, size=(40, 40, 3), dtype=np.uint8)
    expected = reference_shuffle_loop(image, delta, passes, np.random.RandomState(6))
    # One vectorised randint call consumes the legacy stream exactly as the per-pixel calls do.
    shifts = np.random.RandomState(6).randint(-delta, delta, size=(passes, visit_order(40, 40, delta).size, 2))
    assert np.array_equal(local_shuffle(image, delta, shifts), expected)


def test_glass_draws_match_the_manifest(manifest: dict) -> None:
    for key, entry in manifest["outputs"].items():
        if "/glass_blur/" not in key:
            continue
        _, delta, passes = corruption_entry("glass_blur").params_for(int(key.rsplit("/", 1)[1]))
        shifts = np.random.RandomState(entry["seed"]).randint(-delta, delta, size=(passes, (224 - 2 * delta) ** 2, 2))
        assert shifts.shape[0] * shifts.shape[1] == entry["random_values"]["n_randint_calls"]
        assert shifts[0, :3].tolist() == entry["random_values"]["first3_dx_dy"]


def test_motion_blur_kernel_follows_imagemagick() -> None:
    weights, offsets = motion_blur_kernel(10, 3, 0.0)
    assert len(weights) == 21 == len(offsets)  # 2·ceil(radius) + 1
    assert math.isclose(weights.sum(), 1.0) and np.all(np.diff(weights) < 0)
    assert offsets.tolist() == [[0, i] for i in range(21)]  # along +x at 0°
    assert motion_blur_kernel(15, 5, 90.0)[1].tolist() == [[i, 0] for i in range(31)]  # along +y at 90°
    _, diagonal = motion_blur_kernel(10, 3, -45.0)
    assert np.all(diagonal[:, 0] <= 0) and np.all(diagonal[:, 1] >= 0)
    assert np.array_equal(diagonal[:, 0], -diagonal[:, 1])


def test_motion_blur_reproduces_imagenet_p_frames(conformance_dir, clean_images: dict, raw_sha256) -> None:
    """ImageNet-P motion_blur: frame i is the ImageNet-C clean crop blurred with radius 10, sigma 3 at
    4·(i − 30)°, angles whose tap offsets sit on rounding edges (−90°, −60°, −30°)."""
    manifest = json.loads((conformance_dir / "imagenet_p" / "manifest.json").read_text())
    hashes = manifest["perturbations"]["motion_blur"]["frame_sha256"]
    assert len(hashes) == 31
    for i, expected in enumerate(hashes):
        assert raw_sha256(motion_blur(clean_images["chelsea"], 10, 3, 4.0 * (i - 30))) == expected, i


def test_motion_blur_keeps_flat_images_and_shapes() -> None:
    flat = np.full((32, 40, 3), 77, dtype=np.uint8)
    assert np.array_equal(motion_blur(flat, 15, 8, 23.0), flat)
    grey = np.random.default_rng(7).integers(0, 256, size=(32, 40), dtype=np.uint8)
    out = motion_blur(grey, 12, 4, -100.0)
    assert out.shape == grey.shape and out.dtype == np.uint8


def test_plasma_fractal() -> None:
    first = plasma_fractal(np.random.RandomState(8), wibbledecay=1.7)
    assert first.shape == (256, 256) and first.min() == 0.0 and first.max() == 1.0
    assert np.array_equal(first, plasma_fractal(np.random.RandomState(8), wibbledecay=1.7))
    assert plasma_fractal(np.random.default_rng(8), mapsize=64).shape == (64, 64)
    with pytest.raises(ValueError):
        plasma_fractal(np.random.default_rng(8), mapsize=224)


def test_disk_kernel_sizes() -> None:
    for radius, alias in ((3, 0.1), (8, 0.5)):
        assert disk_kernel(radius, alias).shape == (17, 17)  # the reference's fixed −8..8 grid
    assert disk_kernel(10, 0.5).shape == (21, 21)
    kernel = disk_kernel(6, 0.5)
    assert kernel.dtype == np.float32 and math.isclose(float(kernel.sum()), 1.0, rel_tol=1e-5)
