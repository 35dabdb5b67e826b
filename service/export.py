"""CSV renderings of query results (the JSON is the query result itself)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LEADERBOARD_COLUMNS = ("rank", "evaluation_id", "submission_id", "name", "model", "pooling", "owner", "is_baseline",
                       "clean_error", "mce", "relative_mce", "mfp", "mt5d", "finished_at")
RESULT_COLUMNS = ("key", "kind", "corruption", "severity", "perturbation", "difficulty", "top1_error", "top5_error",
                  "ce", "relative_ce", "flip_probability", "mean_top5_distance", "fp", "t5d", "skipped", "counts")


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
