"""Image primitives shared by the ImageNet-C corruptions and the ImageNet-P perturbations, each reproducing
what the reference gets from a library call (SciPy, scikit-image, OpenCV, ImageMagick) bit for bit unless
its docstring says otherwise, with the constants exposed for a batched (torch) path."""

from evaluators.imageops.disk import disk_kernel
from evaluators.imageops.gaussian import gaussian_filter, gaussian_kernel1d, kernel_radius, reflect_gaussian_matrix
from evaluators.imageops.hsv import hsv_to_rgb, rgb_to_hsv
from evaluators.imageops.local_shuffle import local_shuffle, shuffle_sources, visit_order
from evaluators.imageops.motion_blur import motion_blur, motion_blur_kernel
from evaluators.imageops.plasma import plasma_fractal
from evaluators.imageops.zoom import ZoomTaps, clipped_zoom, clipped_zoom_sum, clipped_zoom_taps

__all__ = [
    "ZoomTaps",
    "clipped_zoom",
    "clipped_zoom_sum",
    "clipped_zoom_taps",
    "disk_kernel",
    "gaussian_filter",
    "gaussian_kernel1d",
    "hsv_to_rgb",
    "kernel_radius",
    "local_shuffle",
    "motion_blur",
    "motion_blur_kernel",
    "plasma_fractal",
    "reflect_gaussian_matrix",
    "rgb_to_hsv",
    "shuffle_sources",
    "visit_order",
]
