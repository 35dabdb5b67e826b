"""ImageNet-C/-P metrics computed from additive counts (spec imagenet_cp.md §2 and §4)."""

from evaluators.metrics.baselines import ALEXNET_IMAGENET_C, ImageNetCBaseline, ImageNetPBaseline, top1_errors
from evaluators.metrics.corruption_error import (
    ImageNetCReport,
    imagenet_c_report,
    imagenet_c_report_from_counts,
)
from evaluators.metrics.counts import SequenceCounts, TopKCounts
from evaluators.metrics.flip import (
    ImageNetPReport,
    imagenet_p_report,
    imagenet_p_report_from_counts,
    pair_indices,
    sequence_counts,
    sequence_counts_torch,
    top5_distance,
)

__all__ = [
    "ALEXNET_IMAGENET_C",
    "ImageNetCBaseline",
    "ImageNetCReport",
    "ImageNetPBaseline",
    "ImageNetPReport",
    "SequenceCounts",
    "TopKCounts",
    "imagenet_c_report",
    "imagenet_c_report_from_counts",
    "imagenet_p_report",
    "imagenet_p_report_from_counts",
    "pair_indices",
    "sequence_counts",
    "sequence_counts_torch",
    "top1_errors",
    "top5_distance",
]
