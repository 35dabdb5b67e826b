"""Datasets: ImageNet-C/-P and clean validation folders, class lists, subsets, manifests and sample photos."""

from evaluators.data.classes import ClassList, resolve_classes
from evaluators.data.folders import Folder, Sample, clean_folder, imagenet_c_folder, imagenet_p_folder, scan_folder
from evaluators.data.manifest import Manifest
from evaluators.data.preprocessing import Preprocessing
from evaluators.data.subsets import Subset

__all__ = [
    "ClassList",
    "Folder",
    "Manifest",
    "Preprocessing",
    "Sample",
    "Subset",
    "clean_folder",
    "imagenet_c_folder",
    "imagenet_p_folder",
    "resolve_classes",
    "scan_folder",
]
