"""ImageNet-C: corruption error (CE), mCE, relative CE and relative mCE (spec imagenet_cp.md §2).

CE_c = Σ_s E_{s,c} / Σ_s E^base_{s,c};  mCE = mean of CE_c over the 15 benchmark corruptions.
Relative CE_c = Σ_s (E_{s,c} − E_clean) / Σ_s (E^base_{s,c} − E^base_clean) (clean subtracted per severity).
The 4 extra corruptions get CE values of their own and never enter mCE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS, EXTRA_CORRUPTIONS
from evaluators.errors import InvalidInputError
from evaluators.metrics.baselines import ALEXNET_IMAGENET_C, ImageNetCBaseline, top1_errors
from evaluators.metrics.counts import TopKCounts
from evaluators.metrics.validation import check_error_table, check_rate

imagenet_c_errors = top1_errors

@dataclass(frozen=True)
class ImageNetCReport:
    """Every number is a fraction (1.0 = the baseline); `to_dict` converts to the percent the field reports."""

    errors: dict[str, tuple[float, ...]]
    clean_error: float | None
    mean_error: float | None  # unnormalised mean top-1 error over the benchmark corruptions and severities
    baseline: ImageNetCBaseline | None
    ce: dict[str, float]
    relative_ce: dict[str, float] | None
    mce: float | None  # None unless all 15 benchmark corruptions are present and a baseline is given
    relative_mce: float | None

    def to_dict(self, ndigits: int | None = 2) -> dict[str, Any]:
        def pct(value: float | None) -> float | None:
            if value is None:
                return None
            return 100.0 * value if ndigits is None else round(100.0 * value, ndigits)

        def pcts(table: Mapping[str, float] | None, names: Sequence[str]) -> dict[str, float | None] | None:
            return None if table is None else {c: pct(v) for c, v in table.items() if c in names}

        return {
            "mce": pct(self.mce),
            "relative_mce": pct(self.relative_mce),
            "mean_error": pct(self.mean_error),
            "clean_error": pct(self.clean_error),
            "ce": pcts(self.ce, CORRUPTIONS),
            "relative_ce": pcts(self.relative_ce, CORRUPTIONS),
            "extra_ce": pcts(self.ce, EXTRA_CORRUPTIONS),
            "extra_relative_ce": pcts(self.relative_ce, EXTRA_CORRUPTIONS),
            "errors": {c: [pct(e) for e in v] for c, v in self.errors.items()},
            "baseline": None if self.baseline is None else
            {"name": self.baseline.name, "version": self.baseline.version},
        }

def _ratio(numerator: float, denominator: float, what: str) -> float:
    if denominator <= 0.0:
        raise InvalidInputError(f"baseline gives a non-positive denominator for {what}: cannot normalise")
    return numerator / denominator

def imagenet_c_report(errors: Mapping[str, Sequence[float]], clean_error: float | None = None,
                      baseline: ImageNetCBaseline | None = ALEXNET_IMAGENET_C) -> ImageNetCReport:
    """Scores per-severity top-1 errors (fractions). Any subset of the 19 corruptions may be given;
    mCE needs all 15 benchmark ones. `baseline=None` gives raw values only."""
    table = check_error_table(errors, ALL_CORRUPTIONS, ())
    if not table:
        raise InvalidInputError("no corruption errors given")
    if clean_error is not None:
        clean_error = check_rate(clean_error, "clean error")
    benchmark = [c for c in CORRUPTIONS if c in table]
    mean_error = fmean(e for c in benchmark for e in table[c]) if benchmark else None

    ce: dict[str, float] = {}
    relative: dict[str, float] | None = None
    if baseline is not None:
        absent = [c for c in table if c not in baseline.errors]
        if absent:
            raise InvalidInputError(f"baseline {baseline.name!r} has no errors for {', '.join(absent)}")
        ce = {c: _ratio(sum(table[c]), sum(baseline.errors[c]), c) for c in table}
        if clean_error is not None and baseline.clean_error is not None:
            relative = {
                c: _ratio(sum(e - clean_error for e in table[c]),
                          sum(b - baseline.clean_error for b in baseline.errors[c]), f"relative {c}")
                for c in table
            }
    complete = baseline is not None and len(benchmark) == len(CORRUPTIONS)
    return ImageNetCReport(
        errors=table,
        clean_error=clean_error,
        mean_error=mean_error,
        baseline=baseline,
        ce=ce,
        relative_ce=relative,
        mce=fmean(ce[c] for c in CORRUPTIONS) if complete else None,
        relative_mce=fmean(relative[c] for c in CORRUPTIONS) if complete and relative is not None else None,
    )

def imagenet_c_report_from_counts(counts: Mapping[str, Mapping[int | str, TopKCounts]], clean: TopKCounts | None = None,
                       baseline: ImageNetCBaseline | None = ALEXNET_IMAGENET_C) -> ImageNetCReport:
    """The same report straight from shard counts."""
    return imagenet_c_report(top1_errors(counts), None if clean is None else clean.top1_error, baseline)
