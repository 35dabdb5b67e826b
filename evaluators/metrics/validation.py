"""Checks on user-supplied rate tables, shared by baselines and score files: one line names the problem."""

from collections.abc import Iterable, Mapping, Sequence

from evaluators.benchmarks import SEVERITIES
from evaluators.errors import InvalidInputError


def check_rate(value: object, where: str, upper: float = 1.0) -> float:
    """A finite number in [0, upper] (an error rate, a flip probability, a top-5 distance)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if not 0.0 <= number <= upper:  # also rejects NaN
        raise InvalidInputError(f"{where}: {number!r} is outside [0, {upper:g}]")
    return number


def check_names(given: Iterable[str], known: Sequence[str], required: Sequence[str], what: str) -> None:
    """Unknown names first (typos), then missing ones."""
    given = list(given)
    unknown = [name for name in given if name not in known]
    if unknown:
        raise InvalidInputError(f"unknown {what} {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    missing = [name for name in required if name not in given]
    if missing:
        raise InvalidInputError(f"missing {what} {', '.join(map(repr, missing))}")


def check_error_table(table: Mapping[str, object], known: Sequence[str], required: Sequence[str],
                      what: str = "corruption") -> dict[str, tuple[float, ...]]:
    """{corruption: five top-1 error rates for severities 1..5} -> validated tuples of floats."""
    if not isinstance(table, Mapping):
        raise InvalidInputError(f"expected an object mapping {what} names to five error rates")
    check_names(table.keys(), known, required, what)
    result = {}
    for name, rates in table.items():
        if isinstance(rates, str | bytes) or not isinstance(rates, Sequence) or len(rates) != len(SEVERITIES):
            length = len(rates) if isinstance(rates, Sequence) else type(rates).__name__
            raise InvalidInputError(f"{name}: expected {len(SEVERITIES)} error rates (severities 1-5), got {length}")
        result[name] = tuple(check_rate(r, f"{name} severity {s}") for s, r in zip(SEVERITIES, rates, strict=True))
    return result
