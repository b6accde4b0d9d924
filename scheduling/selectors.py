"""Read the clinic's capacity from the database as the engine's plain values.

Opening hours and shifts are local wall-clock times; each date is combined with the clinic
zone separately, so a daylight-saving day gets that day's offset (never a fixed one).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from clinic.clock import clinic_tz, day_bounds, local_dt
from clinic.models import ClinicSettings
from scheduling import availability as engine
from scheduling.models import (
    Chair,
    Session,
)

# A session starts and ends inside one local day's opening hours, so none is longer than a
# day (25 hours on a fall-back day). Overlap queries use it as a lower bound on `start`:
# without one, `start < b AND end > a` makes the start index walk every earlier session.
LONGEST_SESSION = timedelta(hours=25)


def _dates(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _steps(
    day: date, shifts: Sequence[tuple[time, time, int]], ratio: int, tz: tzinfo
) -> tuple[engine.CapacityStep, ...]:
    """Turn possibly overlapping shifts into non-overlapping capacity steps."""
    edges = sorted({t for s, e, _ in shifts for t in (s, e)})
    steps: list[engine.CapacityStep] = []
    for begin, finish in itertools.pairwise(edges):
        nurses = sum(n for s, e, n in shifts if s <= begin and finish <= e)
        if nurses <= 0:
            continue
        start, end = local_dt(day, begin, tz), local_dt(day, finish, tz)
        if steps and steps[-1].end == start and steps[-1].patients == nurses * ratio:
            steps[-1] = engine.CapacityStep(start=steps[-1].start, end=end, patients=nurses * ratio)
        else:
            steps.append(engine.CapacityStep(start=start, end=end, patients=nurses * ratio))
    return tuple(steps)


_HOURS, _CLOSED, _SHIFT, _OVERRIDE, _RATIO = range(5)


# Written out once rather than built with the ORM: compiling the five-branch union took
# more time (about 1.4 ms) than running it, and every booking check reads it under its
# day lock. The columns are (kind, weekday, day, time 1, time 2, time 3, number).
_CAPACITY_SQL = """
SELECT 0, weekday, NULL, opens, closes, last_start, 0 FROM scheduling_openinghours
UNION ALL
SELECT 1, NULL, "day", NULL, NULL, NULL, NULL FROM scheduling_closeddate
 WHERE "day" BETWEEN %s AND %s
UNION ALL
SELECT 2, weekday, NULL, starts, ends, NULL, nurses FROM scheduling_nurseshift
UNION ALL
SELECT 3, NULL, "day", starts, ends, NULL, nurses FROM scheduling_nurseoverride
 WHERE "day" BETWEEN %s AND %s
UNION ALL
SELECT 4, NULL, NULL, NULL, NULL, NULL, patients_per_nurse FROM clinic_clinicsettings
 WHERE id = 1
"""


def _as_date(value: Any) -> date | None:
    # SQLite hands dates and times back as ISO text; PostgreSQL as date and time objects.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _as_time(value: Any) -> time | None:
    return time.fromisoformat(value) if isinstance(value, str) else value


def _capacity_rows(first: date, last: date) -> list[tuple]:
    """Read hours, closures, shifts, overrides and the nurse ratio in one UNION ALL query.

    Every booking reads these under its day lock, so five round trips become one. Each row
    is (kind, weekday, day, time 1, time 2, time 3, number); a branch fills what it has.
    """
    with connection.cursor() as cursor:
        cursor.execute(_CAPACITY_SQL, [first, last, first, last])
        return [
            (kind, weekday, _as_date(day), _as_time(t1), _as_time(t2), _as_time(t3), number)
            for kind, weekday, day, t1, t2, t3, number in cursor.fetchall()
        ]


def clinic_days(first: date, last: date) -> list[engine.ClinicDay]:
    """Return the open days between two local dates (inclusive) with nurse capacity."""
    tz = clinic_tz()
    hours: dict[int, tuple[time, time, time]] = {}
    closed: set[date] = set()
    weekly: dict[int, list[tuple[time, time, int]]] = defaultdict(list)
    overrides: dict[date, list[tuple[time, time, int]]] = defaultdict(list)
    ratio = None
    for kind, weekday, day, t1, t2, t3, number in _capacity_rows(first, last):
        if kind == _HOURS:
            hours[weekday] = (t1, t2, t3)
        elif kind == _CLOSED:
            closed.add(day)
        elif kind == _SHIFT:
            weekly[weekday].append((t1, t2, number))
        elif kind == _OVERRIDE:
            overrides[day].append((t1, t2, number))
        else:
            ratio = number
    if ratio is None:  # no settings row yet: load() creates it with the defaults
        ratio = ClinicSettings.load().patients_per_nurse
    days = []
    for day in _dates(first, last):
        opening = hours.get(day.weekday())
        if opening is None or day in closed:
            continue
        shifts = overrides[day] if day in overrides else weekly[day.weekday()]
        days.append(
            engine.ClinicDay(
                day=day,
                opens=local_dt(day, opening[0], tz),
                closes=local_dt(day, opening[1], tz),
                last_start=local_dt(day, opening[2], tz),
                capacity=_steps(day, shifts, ratio, tz),
            )
        )
    return days


def sessions_overlapping(
    sessions: QuerySet[Session], start: datetime, end: datetime
) -> QuerySet[Session]:
    """Narrow `sessions` to those overlapping [start, end), with an index-friendly bound."""
    return sessions.filter(start__lt=end, start__gt=start - LONGEST_SESSION, end__gt=start)


def chairs_by_id() -> dict[int, Chair]:
    """Return every chair by id (the engine gets the active ones), in the admin's order."""
    return {c.pk: c for c in Chair.objects.all()}


def engine_chairs(kind: str = "") -> list[engine.Chair]:
    chairs = Chair.objects.filter(is_active=True)
    if kind:
        chairs = chairs.filter(kind=kind)
    return [engine.Chair(id=c.pk, name=c.name, kind=c.kind) for c in chairs]


# Sessions a read leaves out: the one being moved, or every day of a block being moved.
Excluded = int | Collection[int] | None


def excluding(sessions: QuerySet[Session], exclude: Excluded) -> QuerySet[Session]:
    """Return `sessions` without the session(s) `exclude`."""
    if exclude is None:
        return sessions
    return sessions.exclude(pk__in=[exclude] if isinstance(exclude, int) else list(exclude))


def engine_booked(first: date, last: date, *, exclude: Excluded = None) -> list[engine.Booked]:
    """Return active sessions touching the local dates, except the session(s) `exclude`."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    # No ordering: the default one (start, chair) would join and sort the chairs for nothing.
    sessions = excluding(
        sessions_overlapping(Session.objects.active(), start, end).order_by(), exclude
    )
    return [
        engine.Booked(chair_id=chair_id, start=s, end=e)
        for chair_id, s, e in sessions.values_list("chair_id", "start", "end")
    ]


def day_load(day: date, booked: Sequence[engine.Booked]) -> int:
    """Return the peak number of concurrent sessions on a local date."""
    start, end = day_bounds(day)
    events = []
    for item in booked:
        if item.start < end and item.end > start:
            events += [(item.start, 1), (item.end, -1)]
    peak = current = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        current += delta
        peak = max(peak, current)
    return peak
