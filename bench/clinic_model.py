"""A realistic clinic for the benchmarks, built from plain engine values (no database).

Bench scripts start with `sys.path.insert(0, <project root>)`, then import this as
`bench.clinic_model`.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduling.availability import CapacityStep, Chair, ClinicDay

ROOT = Path(__file__).resolve().parent.parent

TZ = ZoneInfo("America/New_York")
OPENS, CLOSES, LAST_START = dtime(7, 30), dtime(18, 0), dtime(17, 0)
# Nurses on duty by time of day: fewer at the edges of the day, three at peak.
NURSES = (
    (dtime(7, 30), dtime(9, 0), 2),
    (dtime(9, 0), dtime(16, 30), 3),
    (dtime(16, 30), dtime(18, 0), 2),
)
PATIENTS_PER_NURSE = 4


def log(message: str) -> None:
    """Print progress for humans on stderr (stdout carries only the JSON line)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_chairs(n: int, beds: int) -> list[Chair]:
    """Return n chairs, the last `beds` of them beds."""
    return [Chair(i, f"Chair {i}", "bed" if i > n - beds else "chair") for i in range(1, n + 1)]


def clinic_day(day: date, *, nurses_scale: int = 1) -> ClinicDay:
    """Return one open weekday, 07:30-18:00, last start 17:00, nurses by time of day."""

    def at(t: dtime) -> datetime:
        return datetime.combine(day, t, TZ)

    steps = tuple(
        CapacityStep(at(a), at(b), n * nurses_scale * PATIENTS_PER_NURSE) for a, b, n in NURSES
    )
    return ClinicDay(day, at(OPENS), at(CLOSES), at(LAST_START), steps)


def weekdays(first: date, n_days: int, *, nurses_scale: int = 1) -> list[ClinicDay]:
    """Return the open days (Mon-Fri) among `n_days` calendar days from `first`."""
    days = (first + timedelta(n) for n in range(n_days))
    return [clinic_day(d, nurses_scale=nurses_scale) for d in days if d.weekday() < 5]


def upper_bound_minutes(day: ClinicDay, n_chairs: int) -> int:
    """Return chair-minutes bookable at most: the integral of min(chairs, nurse capacity)."""
    total = 0
    for step in day.capacity:
        real = step.end.astimezone(UTC) - step.start.astimezone(UTC)
        minutes = int(real.total_seconds() // 60)
        total += min(step.patients, n_chairs) * minutes
    return total
