"""The SVG charts as pure functions: well-formed SVG, one mark per value carrying the exact value, nothing drawn for
a missing value, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from service.web.charts import Series, bar_chart, line_chart, nice_limit

SVG = "{http://www.w3.org/2000/svg}"


def marks(svg: str, tag: str) -> list[dict[str, str]]:
    return [element.attrib for element in ET.fromstring(svg).iter(SVG + tag) if "data-value" in element.attrib]


def test_bar_chart_draws_one_bar_per_value() -> None:
    categories = ["gaussian_noise", "fog", "contrast"]
    svg = bar_chart(categories, [Series("CE", [80.25, 61.0, None])], title="CE", unit="%", reference=100.0)
    bars = marks(svg, "rect")
    assert [(b["data-category"], float(b["data-value"])) for b in bars] == [("gaussian_noise", 80.25), ("fog", 61.0)]
    assert "n/a" in svg  # contrast has no value: labelled, not drawn
    widths = [float(b["width"]) for b in bars]
    assert widths[0] / widths[1] == pytest.approx(80.25 / 61.0, rel=1e-2)  # lengths proportional to the values


def test_grouped_bars_and_negative_values() -> None:
    svg = bar_chart(["a", "b"], [Series("first", [10.0, -5.0]), Series("second", [20.0, 30.0])], title="t")
    bars = marks(svg, "rect")
    assert [(b["data-series"], b["data-category"], float(b["data-value"])) for b in bars] == [
        ("first", "a", 10.0), ("second", "a", 20.0), ("first", "b", -5.0), ("second", "b", 30.0)]
    assert all(float(b["width"]) > 0 for b in bars)


def test_line_chart_points_and_gaps() -> None:
    svg = line_chart([1, 2, 3, 4, 5], [Series("fog", [10.0, 20.0, None, 40.0, 50.0]), Series("snow", [1.0] * 5)],
                     title="error", x_label="severity", unit="%", reference=5.0, reference_label="clean")
    points = marks(svg, "circle")
    assert [(p["data-series"], p["data-category"], float(p["data-value"])) for p in points[:4]] == [
        ("fog", "1", 10.0), ("fog", "2", 20.0), ("fog", "4", 40.0), ("fog", "5", 50.0)]
    assert len(points) == 9
    fog = next(g for g in ET.fromstring(svg).iter(SVG + "g") if g.get("data-series") == "fog")
    assert len(list(fog.iter(SVG + "polyline"))) == 2  # the missing severity 3 breaks the line


def test_labels_are_escaped() -> None:
    evil = '<script>alert("x")</script>&'
    svg = bar_chart([evil], [Series(evil, [1.0]), Series("b", [2.0])], title=evil, unit="%")
    svg += line_chart([evil], [Series(evil, [1.0])], title=evil, x_label=evil)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg[:svg.index("</svg>") + 6])
    assert root.find(SVG + "title").text == evil  # escaped on the way in, the same text on the way out


@pytest.mark.parametrize(("value", "limit"), [(0, 1), (0.3, 0.5), (76.3, 100), (100, 100), (101, 200), (2.1, 2.5)])
def test_nice_limit(value: float, limit: float) -> None:
    assert nice_limit(value) == limit
