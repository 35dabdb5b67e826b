"""Inline SVG charts from plain numbers: horizontal bars per category (one series, or several side by side for a
comparison) and lines over an ordered x axis. Pure functions returning SVG text.

Every piece of text is XML-escaped, so names users chose (submission names in a comparison's legend) cannot
inject markup into the page. Every data mark carries `data-series`, `data-category` and `data-value` with the
exact number it draws, so that tests and scripts can read a chart back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
# Distinguishable line colours (Tableau 20 order): enough for the 19 corruptions of a suite with extras.
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
INK, GRID, MUTED = "#222", "#ddd", "#666"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _x(text: object) -> str:
    return escape(str(text), quote=True)


def nice_limit(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `value` (1 when there is nothing to show)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-12))


def _range(values: Sequence[float]) -> tuple[float, float]:
    """Axis limits that hold zero and every value."""
    low, high = min((*values, 0.0)), max((*values, 0.0))
    return (-nice_limit(-low) if low < 0 else 0.0), nice_limit(high)


def _tick(value: float) -> str:
    return f"{value:g}"


def _open(height: float, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:g}" '
            f'role="img" font-family="system-ui, sans-serif" font-size="12">', f"<title>{_x(title)}</title>",
            f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">{_x(title)}</text>']


def _legend(series: Sequence[Series], colours: Sequence[str], x0: float, y0: float, column: float,
            columns: int) -> list[str]:
    parts = []
    for i, (one, colour) in enumerate(zip(series, colours, strict=True)):
        x, y = x0 + (i % columns) * column, y0 + (i // columns) * 16
        parts.append(f'<g class="legend-item"><rect x="{x:g}" y="{y - 9:g}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14:g}" y="{y:g}" fill="{INK}">{_x(one.name)}</text></g>')
    return parts


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "",
              reference: float | None = None, reference_label: str = "") -> str:
    """Horizontal bars, one group per category and one bar per series in it; None draws "n/a". A dashed
    vertical line marks `reference` (e.g. the baseline's 100)."""
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    label_width, value_width, bar, gap = 150.0, 52.0, 14.0, 8.0
    plot = WIDTH - label_width - value_width
    top = 30.0 + (18.0 if len(series) > 1 else 0.0)
    group = bar * len(series) + gap
    height = top + group * len(categories) + 28
    shown = [v for s in series for v in s.values if v is not None] + ([reference] if reference is not None else [])
    low, high = _range(shown)

    def x(value: float) -> float:
        return label_width + plot * (value - low) / (high - low)

    parts = _open(height, title)
    if len(series) > 1:
        parts += _legend(series, colours, label_width, 38, (WIDTH - label_width) / len(series), len(series))
    bottom = top + group * len(categories)
    for i in range(6):
        value = low + (high - low) * i / 5
        parts.append(f'<line x1="{x(value):.1f}" y1="{top - 4:g}" x2="{x(value):.1f}" y2="{bottom:g}" '
                     f'stroke="{GRID}"/><text x="{x(value):.1f}" y="{bottom + 16:g}" text-anchor="middle" '
                     f'fill="{MUTED}">{_tick(value)}{_x(unit)}</text>')
    for i, category in enumerate(categories):
        y = top + group * i
        parts.append(f'<text x="{label_width - 6:g}" y="{y + group / 2 - gap / 2 + 4:g}" text-anchor="end" '
                     f'fill="{INK}">{_x(category)}</text>')
        for j, (one, colour) in enumerate(zip(series, colours, strict=True)):
            value, row = one.values[i], y + bar * j
            if value is None:
                parts.append(f'<text x="{x(0):.1f}" y="{row + bar - 3:g}" fill="{MUTED}" dx="4">n/a</text>')
                continue
            start, end = sorted((x(0), x(value)))
            parts.append(f'<rect class="bar" x="{start:.1f}" y="{row:g}" width="{end - start:.1f}" '
                         f'height="{bar - 2:g}" fill="{colour}" data-series="{_x(one.name)}" '
                         f'data-category="{_x(category)}" data-value="{value!r}">'
                         f'<title>{_x(category)}, {_x(one.name)}: {value:.1f}{_x(unit)}</title></rect>'
                         f'<text x="{end + 4:.1f}" y="{row + bar - 3:g}" font-size="11" fill="{INK}">'
                         f'{value:.1f}</text>')
    if reference is not None:
        parts.append(f'<line class="reference" x1="{x(reference):.1f}" y1="{top - 4:g}" x2="{x(reference):.1f}" '
                     f'y2="{bottom:g}" stroke="{INK}" stroke-dasharray="4 3"><title>{_x(reference_label)}</title>'
                     f'</line>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(xs: Sequence[object], series: Sequence[Series], *, title: str, x_label: str, unit: str = "",
               reference: float | None = None, reference_label: str = "") -> str:
    """One line per series over the ordered `xs` (None values break a line), a dashed horizontal line at
    `reference` (e.g. the clean error) and a legend underneath."""
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    left, right, top, plot_height = 48.0, 16.0, 30.0, 240.0
    plot = WIDTH - left - right
    columns = 4
    legend_rows = math.ceil((len(series) + (reference is not None)) / columns)
    bottom = top + plot_height
    height = bottom + 44 + 16 * legend_rows
    shown = [v for s in series for v in s.values if v is not None] + ([reference] if reference is not None else [])
    low, high = _range(shown)

    def x(i: int) -> float:
        return left + (plot * i / (len(xs) - 1) if len(xs) > 1 else plot / 2)

    def y(value: float) -> float:
        return bottom - plot_height * (value - low) / (high - low)

    parts = _open(height, title)
    for i in range(6):
        value = low + (high - low) * i / 5
        parts.append(f'<line x1="{left:g}" y1="{y(value):.1f}" x2="{WIDTH - right:g}" y2="{y(value):.1f}" '
                     f'stroke="{GRID}"/><text x="{left - 6:g}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'fill="{MUTED}">{_tick(value)}{_x(unit)}</text>')
    for i, label in enumerate(xs):
        parts.append(f'<text x="{x(i):.1f}" y="{bottom + 16:g}" text-anchor="middle" fill="{MUTED}">{_x(label)}</text>')
    parts.append(f'<text x="{left + plot / 2:g}" y="{bottom + 32:g}" text-anchor="middle" fill="{INK}">'
                 f'{_x(x_label)}</text>')
    if reference is not None:
        parts.append(f'<line class="reference" x1="{left:g}" y1="{y(reference):.1f}" x2="{WIDTH - right:g}" '
                     f'y2="{y(reference):.1f}" stroke="{INK}" stroke-dasharray="4 3"><title>{_x(reference_label)}: '
                     f'{reference:.1f}{_x(unit)}</title></line>')
    for one, colour in zip(series, colours, strict=True):
        points = [(i, v) for i, v in enumerate(one.values) if v is not None]
        runs: list[list[str]] = []
        for n, (i, value) in enumerate(points):
            if n == 0 or points[n - 1][0] != i - 1:
                runs.append([])
            runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
        parts.append(f'<g class="line" data-series="{_x(one.name)}">')
        parts += [f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>'
                  for run in runs if len(run) > 1]
        parts += [f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}" data-series="{_x(one.name)}" '
                  f'data-category="{_x(xs[i])}" data-value="{value!r}"><title>{_x(one.name)}, {_x(xs[i])}: '
                  f'{value:.1f}{_x(unit)}</title></circle>' for i, value in points]
        parts.append("</g>")
    legend = list(series) + ([Series(reference_label, [])] if reference is not None else [])
    parts += _legend(legend, [*colours, INK][:len(legend)], left, bottom + 56, plot / columns, columns)
    parts.append("</svg>")
    return "".join(parts)
