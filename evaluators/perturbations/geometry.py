"""Geometric perturbations: translate, rotate, tilt, scale and shear (spec imagenet_cp.md §3), all
deterministic, each transforming the whole Resize(256) image before the centre crop. All but tilt go through
the 2018 affine (`affine`), the release's geometry; tilt is OpenCV's perspective warp, as the reference."""

from __future__ import annotations

import cv2
import numpy as np

from evaluators.perturbations.affine import Affine, affine_frames, inverse_matrix, translate_crop
from evaluators.perturbations.crop import center_crop
from evaluators.perturbations.registry import Draws, register


def affine_calls(name: str) -> list[Affine]:
    """The reference block's `affine` call for every frame of rotate, scale or shear."""
    if name == "rotate":
        return [Affine(angle=i - 15) for i in range(31)]
    if name == "scale":
        return [Affine(scale=(i * 2.5 + 40) / 100.0) for i in range(31)]
    if name == "shear":
        return [Affine(shear=i - 15) for i in range(31)]
    raise ValueError(f"{name} is not a bilinear affine perturbation")


def _affine_sequence(image: np.ndarray, name: str) -> np.ndarray:
    height, width = image.shape[:2]
    return affine_frames(image, [inverse_matrix(call, width, height) for call in affine_calls(name)])


@register("translate", frames=41, deterministic=True)
def translate(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Horizontal shifts of i − 20 px (−20 … +20), nearest, black where the image ends."""
    return np.stack([translate_crop(image, i - 20) for i in range(41)])


@register("rotate", deterministic=True)
def rotate(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Rotations by i − 15 degrees (clockwise on screen for positive angles), bilinear."""
    return _affine_sequence(image, "rotate")


@register("scale", deterministic=True)
def scale(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Scaling by (2.5·i + 40)/100 (0.400 … 1.150) about the centre, bilinear without prefilter."""
    return _affine_sequence(image, "scale")


@register("shear", deterministic=True)
def shear(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Shears of i − 15 degrees with the 2018 matrix (a horizontal shear plus a vertical compression by
    cos(shear)), bilinear."""
    return _affine_sequence(image, "shear")


def tilt_matrix(angle: float, width: int, height: int) -> np.ndarray:
    """The reference's 3×3 homography for a tilt of `angle` degrees about both the x and y axes:
    P2·T·RX·RY·P1, a pinhole camera at distance f = √(w² + h²), multiplied in that order."""
    phi = theta = np.deg2rad(angle)
    f = np.sqrt(width**2 + height**2)
    to_centre = np.array([[1, 0, -width / 2], [0, 1, -height / 2], [0, 0, 1], [0, 0, 1]])
    about_x = np.array([[1, 0, 0, 0], [0, np.cos(theta), -np.sin(theta), 0],
                        [0, np.sin(theta), np.cos(theta), 0], [0, 0, 0, 1]])
    about_y = np.array([[np.cos(phi), 0, -np.sin(phi), 0], [0, 1, 0, 0],
                        [np.sin(phi), 0, np.cos(phi), 0], [0, 0, 0, 1]])
    away = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, f], [0, 0, 0, 1]])
    project = np.array([[f, 0, width / 2, 0], [0, f, height / 2, 0], [0, 0, 1, 0]])
    return project @ away @ about_x @ about_y @ to_centre


@register("tilt", deterministic=True)
def tilt(image: np.ndarray, _: None, draws: Draws) -> np.ndarray:
    """Tilts of i − 15 degrees: cv2.warpPerspective (bilinear, black border) of the whole image, then the crop."""
    height, width = image.shape[:2]
    return np.stack([center_crop(cv2.warpPerspective(image, tilt_matrix(i - 15, width, height), (width, height)))
                     for i in range(31)])
