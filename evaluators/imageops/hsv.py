"""RGB ↔ HSV exactly as `skimage.color.rgb2hsv` / `hsv2rgb` compute them (brightness and saturate,
spec imagenet_cp.md §1.3), with the same float operations per element, so results are bit-identical,
but without scikit-image's boolean-mask assignments and `np.choose` over six stacked copies.

Quirks kept: where several channels share the maximum, blue's hue formula wins over green's over red's
(scikit-image assigns red, then green, then blue); hue = (h/6) mod 1 with Python's sign rule; grey pixels
(max = min) get hue 0 and saturation 0; sector = ⌊6h⌋ mod 6 while f = 6h − ⌊6h⌋ keeps the unreduced floor.
"""

from __future__ import annotations

import numpy as np

# hsv2rgb: for each sector ⌊6h⌋ mod 6, which of (v, p, q, t) goes to R, G and B.
SECTOR_SOURCES = np.array([(0, 3, 1), (2, 0, 1), (1, 0, 3), (1, 2, 0), (3, 1, 0), (0, 1, 2)], dtype=np.intp)


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """float64 (..., 3) RGB in [0, 1] → float64 (..., 3) HSV in [0, 1], as skimage.color.rgb2hsv."""
    rgb = np.asarray(rgb, dtype=np.float64)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Elementwise max/min: the same values as scikit-image's max/ptp over the channel axis, far cheaper.
    value = np.maximum(np.maximum(red, green), blue)
    delta = value - np.minimum(np.minimum(red, green), blue)
    grey = delta == 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        saturation = delta / value
        hue = np.where(
            blue == value,
            4.0 + (red - green) / delta,
            np.where(green == value, 2.0 + (blue - red) / delta, (green - blue) / delta),
        )
    hue = (hue / 6.0) % 1.0
    hue[grey] = 0.0
    saturation[grey] = 0.0
    return np.stack((hue, saturation, value), axis=-1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """float64 (..., 3) HSV → float64 (..., 3) RGB, as skimage.color.hsv2rgb."""
    hsv = np.asarray(hsv, dtype=np.float64)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    sector = np.floor(hue * 6)
    f = hue * 6 - sector
    p = value * (1 - saturation)
    q = value * (1 - f * saturation)
    t = value * (1 - (1 - f) * saturation)
    planes = (value, p, q, t)
    sources = SECTOR_SOURCES[sector.astype(np.uint8) % 6]
    rgb = np.empty(hsv.shape)
    for channel in range(3):
        out, pick = rgb[..., channel], sources[..., channel]
        np.copyto(out, value)
        for index in (1, 2, 3):
            np.copyto(out, planes[index], where=pick == index)
    return rgb
