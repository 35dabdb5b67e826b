"""Reading rendered pages back in tests: table rows as text, and the inline SVG charts as XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Row:
    attrs: dict[str, str | None]
    cells: list[str] = field(default_factory=list)
    section: str = ""  # the tbody's class ("pinned", "ranked") or "thead"


class _TableReader(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.section = table_id, 0, ""
        self.rows: list[Row] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and (self.depth or found.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag in ("thead", "tbody"):
            self.section = "thead" if tag == "thead" else found.get("class") or ""
        elif self.depth and tag == "tr":
            self.rows.append(Row(found, section=self.section))
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].cells.append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str) -> list[Row]:
    reader = _TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"no table {table_id!r} in the page"
    return reader.rows


def body_rows(html: str, table_id: str, section: str | None = None) -> list[Row]:
    return [r for r in table(html, table_id) if r.section != "thead" and section in (None, r.section)]


def charts(html: str) -> list[ET.Element]:
    """Every inline SVG of a page, parsed as XML (which also proves it well-formed)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def chart_titled(html: str, start: str) -> ET.Element:
    found = [svg for svg in charts(html) if (svg.findtext(SVG + "title") or "").startswith(start)]
    assert len(found) == 1, f"{len(found)} charts titled {start!r}…"
    return found[0]


def values(svg: ET.Element, tag: str = "rect") -> list[tuple[str, str, float]]:
    """(series, category, value) of every data mark, in drawing order."""
    return [(e.attrib["data-series"], e.attrib["data-category"], float(e.attrib["data-value"]))
            for e in svg.iter(SVG + tag) if "data-value" in e.attrib]
