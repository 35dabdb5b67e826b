"""Files a dataset could not use (missing, unreadable, mislabeled): one error that lists them, or a record."""

from __future__ import annotations

from collections.abc import Mapping

from evaluators.errors import DatasetError

SHOWN = 20  # files named in one error message; the rest are counted


def problems_error(where: str, problems: Mapping[str, str]) -> DatasetError:
    """One line naming each problem file and why (`relpath (reason)`), sorted, the first SHOWN of them."""
    items = sorted(problems.items())
    listed = "; ".join(f"{path} ({reason})" for path, reason in items[:SHOWN])
    if len(items) > SHOWN:
        listed += f"; and {len(items) - SHOWN} more"
    return DatasetError(f"{where}: {len(items)} file(s) cannot be used: {listed}; "
                        "allow_missing (--allow-missing) skips them and records which")


def check_problems(where: str, problems: Mapping[str, str], allow_missing: bool) -> None:
    """Raises unless there are none or the caller accepts skipping them."""
    if problems and not allow_missing:
        raise problems_error(where, problems)
