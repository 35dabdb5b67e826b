"""Results rows (one per shard, from `queries.evaluation_results` and `queries.compare`) regrouped for the pages:
per corruption with its severities side by side, per perturbation; and the charts drawn from them. Only
regrouping and picking: every number shown is a stored one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaluators.benchmarks import EXTRA_CORRUPTIONS
from service.web.charts import Series, bar_chart, line_chart


def corruption_table(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """{"clean": the clean row or None, "severities": [...], "corruptions": [{"corruption", "extra", "errors":
    {severity: top-1 error}, "ce", "relative_ce"}, ...]} in the suite's order."""
    clean = next((row for row in rows if row.get("kind") == "clean"), None)
    corruptions: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "corruption" not in row:
            continue
        entry = corruptions.setdefault(row["corruption"], {
            "corruption": row["corruption"], "extra": row["corruption"] in EXTRA_CORRUPTIONS, "errors": {},
            "ce": row.get("ce"), "relative_ce": row.get("relative_ce")})
        entry["errors"][row["severity"]] = row.get("top1_error")
    severities = sorted({s for entry in corruptions.values() for s in entry["errors"]})
    return {"clean": clean, "severities": severities, "corruptions": list(corruptions.values())}


def perturbation_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The perturbation rows, labelled with their difficulty only where a suite has several."""
    found = [row for row in rows if "perturbation" in row]
    several = len({row["difficulty"] for row in found}) > 1
    return [{**row, "label": f"{row['perturbation']} (difficulty {row['difficulty']})" if several
             else row["perturbation"]} for row in found]


def evaluation_charts(rows: Sequence[dict[str, Any]]) -> list[str]:
    """An evaluation's charts: CE per corruption and error against severity, or FP and T5D per perturbation."""
    table = corruption_table(rows)
    charts = []
    if table["corruptions"]:
        names = [c["corruption"] for c in table["corruptions"]]
        ce = [c["ce"] for c in table["corruptions"]]
        if any(v is not None for v in ce):
            charts.append(bar_chart(names, [Series("CE", ce)], title="Corruption error (CE) per corruption, lower "
                                    "is better", unit="%", reference=100.0, reference_label="baseline = 100"))
        clean = table["clean"]
        charts.append(line_chart(
            table["severities"], [Series(c["corruption"], [c["errors"].get(s) for s in table["severities"]])
                                  for c in table["corruptions"]],
            title="Top-1 error against severity", x_label="severity", unit="%",
            reference=None if clean is None else clean.get("top1_error"), reference_label="clean"))
    perturbations = perturbation_rows(rows)
    labels = [row["label"] for row in perturbations]
    measures = (("fp", "flip_probability", "flip probability", "%"),
                ("t5d", "mean_top5_distance", "mean top-5 distance", ""))
    for normalised, raw, what, raw_unit in measures if perturbations else ():
        values = [row.get(normalised) for row in perturbations]
        if any(v is not None for v in values):
            charts.append(bar_chart(labels, [Series(normalised.upper(), values)], unit="%", reference=100.0,
                                    title=f"{normalised.upper()} per perturbation, lower is better",
                                    reference_label="baseline = 100"))
        else:
            charts.append(bar_chart(labels, [Series(what, [row.get(raw) for row in perturbations])],
                                    title=f"Raw {what} per perturbation (no baseline)", unit=raw_unit))
    return charts


def compare_corruptions(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per corruption of a comparison: CE and relative CE {a, b, delta} and the top-1 errors by severity."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "corruption" not in row:
            continue
        entry = found.setdefault(row["corruption"], {"corruption": row["corruption"], "ce": row.get("ce"),
                                                     "relative_ce": row.get("relative_ce"), "errors": {}})
        entry["errors"][row["severity"]] = row.get("top1_error")
    return list(found.values())


def compare_chart(rows: Sequence[dict[str, Any]], name_a: str, name_b: str) -> str | None:
    """The two entries' CE per corruption side by side, or FP per perturbation on ImageNet-P (raw flip
    probability where no baseline normalises them); None when there is nothing to draw."""
    corruptions = compare_corruptions(rows)
    if corruptions:
        categories = [c["corruption"] for c in corruptions]
        pairs = [c["ce"] or {} for c in corruptions]
        title, unit, reference = "CE per corruption, lower is better", "%", 100.0
    else:
        perturbations = perturbation_rows(rows)
        categories = [row["label"] for row in perturbations]
        pairs = [row.get("fp") or {} for row in perturbations]
        title, unit, reference = "FP per perturbation, lower is better", "%", 100.0
        if not any(p.get("a") is not None or p.get("b") is not None for p in pairs):
            pairs = [row.get("flip_probability") or {} for row in perturbations]
            title, reference = "Raw flip probability per perturbation (no baseline)", None
    series = [Series(name, [p.get(side) for p in pairs]) for name, side in ((name_a, "a"), (name_b, "b"))]
    if not any(v is not None for one in series for v in one.values):
        return None
    return bar_chart(categories, series, title=title, unit=unit, reference=reference,
                     reference_label="baseline = 100")
