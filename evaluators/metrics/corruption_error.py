"""ImageNet-C: corruption error (CE), mCE, relative CE and relative mCE (spec imagenet_cp.md §2).

CE_c = Σ_s E_{s,c} / Σ_s E^base_{s,c};  mCE = mean of CE_c over the 15 benchmark corruptions.
Relative CE_c = Σ_s (E_{s,c} − E_clean) / Σ_s (E^base_{s,c} − E^base_clean) (clean subtracted per severity).
The 4 extra corruptions get CE values of their own and never enter mCE. A value the baseline cannot
normalise (a zero or negative denominator, e.g. a measured baseline no worse corrupted than clean) is None,
and the report's notes say why; so is everything that needs all 15 corruptions or all 5 severities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from evaluators.benchmarks import ALL_CORRUPTIONS, CORRUPTIONS, EXTRA_CORRUPTIONS, SEVERITIES
from evaluators.errors import InvalidInputError
from evaluators.metrics.baselines import ALEXNET_IMAGENET_C, ImageNetCBaseline, severity_errors
from evaluators.metrics.counts import TopKCounts
from evaluators.metrics.units import percent
from evaluators.metrics.validation import check_error_table, check_rate


@dataclass(frozen=True)
class ImageNetCReport:
    """Every number is a fraction (1.0 = the baseline); `to_dict` converts to the percent the field reports."""

    errors: dict[str, tuple[float, ...]]
    clean_error: float | None
    mean_error: float | None  # unnormalised mean top-1 error over the benchmark corruptions and severities
    baseline: ImageNetCBaseline | None
    ce: dict[str, float | None]
    relative_ce: dict[str, float | None] | None
    mce: float | None  # None unless all 15 benchmark CEs are defined
    relative_mce: float | None
    partial_errors: dict[str, dict[int, float]] = field(default_factory=dict)  # corruptions lacking severities
    notes: tuple[str, ...] = ()

    def to_dict(self, ndigits: int | None = 2) -> dict[str, Any]:
        def pcts(table: Mapping[str, float | None] | None, names: Sequence[str]) -> dict[str, float | None] | None:
            return None if table is None else {c: percent(v, ndigits) for c, v in table.items() if c in names}

        return {
            "mce": percent(self.mce, ndigits),
            "relative_mce": percent(self.relative_mce, ndigits),
            "mean_error": percent(self.mean_error, ndigits),
            "clean_error": percent(self.clean_error, ndigits),
            "ce": pcts(self.ce, CORRUPTIONS),
            "relative_ce": pcts(self.relative_ce, CORRUPTIONS),
            "extra_ce": pcts(self.ce, EXTRA_CORRUPTIONS),
            "extra_relative_ce": pcts(self.relative_ce, EXTRA_CORRUPTIONS),
            "errors": {c: [percent(e, ndigits) for e in v] for c, v in self.errors.items()},
            "partial_errors": {c: {str(s): percent(e, ndigits) for s, e in v.items()}
                               for c, v in self.partial_errors.items()},
            "baseline": None if self.baseline is None else
            {"name": self.baseline.name, "version": self.baseline.version},
            "notes": list(self.notes),
        }


def _ratio(numerator: float, denominator: float, what: str, notes: list[str]) -> float | None:
    if denominator <= 0.0:
        notes.append(f"{what}: the baseline's denominator is {denominator:.4g}, so it cannot be normalised")
        return None
    return numerator / denominator


def _mean_if_complete(values: Mapping[str, float | None] | None, what: str, notes: list[str]) -> float | None:
    if values is None:
        return None
    absent = [c for c in CORRUPTIONS if values.get(c) is None]
    if absent:
        notes.append(f"no {what}: it needs all 15 benchmark corruptions; undefined or absent: {', '.join(absent)}")
        return None
    return fmean(values[c] for c in CORRUPTIONS)  # type: ignore[misc]


def imagenet_c_report(errors: Mapping[str, Sequence[float]], clean_error: float | None = None,
                      baseline: ImageNetCBaseline | None = ALEXNET_IMAGENET_C, *,
                      partial_errors: Mapping[str, Mapping[int, float]] | None = None) -> ImageNetCReport:
    """Scores per-severity top-1 errors (fractions, five per corruption). Any subset of the 19 corruptions
    may be given; mCE needs all 15 benchmark ones. `baseline=None` gives raw values only."""
    table = check_error_table(errors, ALL_CORRUPTIONS, ())
    partial = {c: dict(v) for c, v in (partial_errors or {}).items()}
    if not table and not partial:
        raise InvalidInputError("no corruption errors given")
    if clean_error is not None:
        clean_error = check_rate(clean_error, "clean error")
    notes = [f"{c}: CE needs all five severities; measured {', '.join(map(str, sorted(v)))}"
             for c, v in partial.items()]
    benchmark = [c for c in CORRUPTIONS if c in table]
    mean_error = fmean(e for c in benchmark for e in table[c]) if benchmark else None

    ce: dict[str, float | None] = {}
    relative: dict[str, float | None] | None = None
    if baseline is not None:
        absent = [c for c in table if c not in baseline.errors]
        if absent:
            raise InvalidInputError(f"baseline {baseline.name!r} has no errors for {', '.join(absent)}")
        ce = {c: _ratio(sum(table[c]), sum(baseline.errors[c]), f"CE of {c}", notes) for c in table}
        if clean_error is not None and baseline.clean_error is not None:
            relative = {c: _ratio(sum(e - clean_error for e in table[c]),
                                  sum(b - baseline.clean_error for b in baseline.errors[c]),
                                  f"relative CE of {c}", notes) for c in table}
        elif clean_error is not None:
            notes.append(f"no relative CE: baseline {baseline.name!r} has no clean error")
    else:
        notes.append("no baseline: raw errors only")
    return ImageNetCReport(
        errors=table,
        clean_error=clean_error,
        mean_error=mean_error,
        baseline=baseline,
        ce=ce,
        relative_ce=relative,
        mce=_mean_if_complete(ce, "mCE", notes) if baseline is not None else None,
        relative_mce=_mean_if_complete(relative, "relative mCE", notes),
        partial_errors=partial,
        notes=tuple(dict.fromkeys(notes)),
    )


def imagenet_c_report_from_counts(counts: Mapping[str, Mapping[int | str, TopKCounts]],
                                  clean: TopKCounts | None = None,
                                  baseline: ImageNetCBaseline | None = ALEXNET_IMAGENET_C) -> ImageNetCReport:
    """The same report straight from shard counts; corruptions measured at fewer than five severities are
    reported raw (`partial_errors`)."""
    measured = severity_errors(counts)
    complete = {c: tuple(v[s] for s in SEVERITIES) for c, v in measured.items() if len(v) == len(SEVERITIES)}
    partial = {c: v for c, v in measured.items() if len(v) != len(SEVERITIES)}
    return imagenet_c_report(complete, None if clean is None else clean.top1_error, baseline,
                             partial_errors=partial)
