"""The Jinja2 environment of the pages (autoescaped) and the formatting they share.

Numbers are shown with the precision the field reports them in: one decimal for error rates, CE, mCE, FP and
T5D (in percent); the exports carry the stored values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, Response

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
METRIC_LABELS = {"clean_error": "clean error", "mce": "mCE", "relative_mce": "relative mCE", "mfp": "mFP",
                 "mt5d": "mT5D", "finished_at": "finished"}
DASH = "–"


def fixed(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:+.{digits}f}"


def change(value: float | None, lower_is_better: bool = True) -> str:
    """CSS class of a difference: "better" or "worse" for the second value against the first."""
    if value is None or value == 0:
        return "same"
    return "better" if (value < 0) == lower_is_better else "worse"


def url(path: str, **params: Any) -> str:
    """`path` with the non-empty `params` as its query string."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
    return f"{path}?{query}" if query else path


def path_part(value: object) -> str:
    return quote(str(value), safe="")


TEMPLATES.env.filters.update(fixed=fixed, signed=signed, change=change, path_part=path_part)
TEMPLATES.env.globals.update(url=url, METRIC_LABELS=METRIC_LABELS)


def render(name: str, context: dict[str, Any]) -> str:
    """A template rendered on its own: pages show the stored data only, nothing of the request."""
    return TEMPLATES.get_template(name).render(context)


def page(name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return HTMLResponse(render(name, context), status_code=status_code)


def not_found(what: str) -> Response:
    """The page for unknown and private entries alike: a private entry is indistinguishable from none."""
    return page("not_found.html", {"what": what}, status_code=404)
