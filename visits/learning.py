"""Learned chair times as pure functions: minutes of recent visits in, figures out.

The median and the 80th percentile use linear interpolation between the closest ranks (the
"inclusive" method: for sorted values x[0..n-1], the p-th percentile sits at rank
p × (n − 1)), so a hand computation on a few values gives the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[int], p: float) -> float:
    """Return the p-th percentile (0–100) of `values` by linear interpolation."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Learned:
    count: int
    median: int
    p80: int


def learned(values: Sequence[int]) -> Learned | None:
    """Return the count, median and 80th percentile (rounded to whole minutes) of visits."""
    if not values:
        return None
    return Learned(
        count=len(values),
        median=round(percentile(values, 50)),
        p80=round(percentile(values, 80)),
    )


def duration_label(minutes: int | float | None) -> str:
    """Return minutes as staff read them: "45 min", "3 h", "3 h 52"."""
    if minutes is None:
        return "–"
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def visits_label(count: int) -> str:
    return f"{count} visit" if count == 1 else f"{count} visits"
