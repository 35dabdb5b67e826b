"""The loop every generator runs: pin its settings, clear what an interrupted run left, process each source
(in worker processes, a bounded number in flight) and tally the outcomes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from evaluators.generate.atomic import remove_temp_files
from evaluators.generate.manifest import pin_settings
from evaluators.generate.parallel import bounded_map
from evaluators.generate.summary import SourceOutcome, Summary

T = TypeVar("T")


def generate(dst: Path, settings: Mapping[str, Any], process: Callable[[T], SourceOutcome | list[SourceOutcome]],
             sources: Iterable[T], workers: int = 0,
             progress: Callable[[SourceOutcome], None] | None = None) -> Summary:
    """Runs `process` over `sources` (single sources, or batches giving one outcome per source) into `dst`
    (see `bounded_map` for `workers`); the manifest is the caller's."""
    pin_settings(dst, settings)
    remove_temp_files(dst)
    summary = Summary()
    for result in bounded_map(process, sources, workers):
        for outcome in result if isinstance(result, list) else [result]:
            summary.add(outcome)
            if progress:
                progress(outcome)
    return summary
