"""Aggregates the ORM lacks: a continuous percentile on PostgreSQL and on SQLite.

PostgreSQL has the ordered-set aggregate `percentile_cont(f) WITHIN GROUP (ORDER BY x)`.
SQLite has none, so each SQLite connection gets a Python aggregate of the same name that
interpolates the same way (`percentile_of`); the reports run one query on either database,
and the tests compare both against figures computed by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, DurationField, Expression, FloatField


def percentile_of(values: Sequence[float], fraction: float) -> float | None:
    """Return the continuous percentile of `values`, interpolating as PostgreSQL does.

    The value at position fraction × (n − 1) of the sorted values, linear between neighbours.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


class PercentileCont(Aggregate):
    """The `fraction` percentile (0.5 = median) of an expression over the group's rows."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str | Expression, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        # A float written into the SQL, never user input.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def _resolve_output_field(self) -> Any:
        # An interpolated percentile of whole numbers is fractional; of durations, a duration.
        source = super()._resolve_output_field()
        return source if isinstance(source, DurationField) else FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # SQLite's aggregate (registered below) takes the fraction as a second argument.
        clone = self.copy()
        clone.template = "%(function)s(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra_context)


class _SQLitePercentile:
    """SQLite's side of PERCENTILE_CONT(x, fraction): collects the values, then interpolates."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_of(self.values, self.fraction)


def _register_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("PERCENTILE_CONT", 2, _SQLitePercentile)


connection_created.connect(_register_sqlite, dispatch_uid="clinic.aggregates.sqlite")
