"""Fractions are computed; percent is what the field reports."""


def percent(value: float | None, ndigits: int | None) -> float | None:
    """A fraction as percent rounded to `ndigits` (None: unrounded); None stays None."""
    if value is None:
        return None
    return 100.0 * value if ndigits is None else round(100.0 * value, ndigits)
