"""Read the clinic's capacity from the database as the engine's plain values.

Opening hours and shifts are local wall-clock times; each date is combined with the clinic
zone separately, so a daylight-saving day gets that day's offset (never a fixed one).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from clinic.models import ClinicSettings
from scheduling import availability as engine
from scheduling.models import (
    Chair,
    ClosedDate,
    NurseOverride,
    NurseShift,
    OpeningHours,
    Session,
)


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(settings.CLINIC_TIME_ZONE)


def local_dt(day: date, at: time, tz: tzinfo | None = None) -> datetime:
    """Return the aware instant of a local wall-clock time on a date (fold=0 in a repeat)."""
    return datetime.combine(day, at, tzinfo=tz or clinic_tz())


def instant_after(start: datetime, minutes: int) -> datetime:
    """Return the instant `minutes` of real time after `start`, in UTC.

    Python adds a timedelta to a zoned datetime on the wall clock, so a clinic-local start
    plus a chair time would be an hour off across a daylight-saving change; UTC has none.
    """
    return start.astimezone(UTC) + timedelta(minutes=minutes)


def local_day(instant: datetime, tz: tzinfo | None = None) -> date:
    return instant.astimezone(tz or clinic_tz()).date()


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """Return the instants of local midnight at the start and end of a date."""
    tz = tz or clinic_tz()
    return local_dt(day, time(0), tz), local_dt(day + timedelta(days=1), time(0), tz)


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


def clinic_days(first: date, last: date) -> list[engine.ClinicDay]:
    """Return the open days between two local dates (inclusive) with nurse capacity."""
    tz = clinic_tz()
    hours = {h.weekday: h for h in OpeningHours.objects.all()}
    closed = set(ClosedDate.objects.filter(day__range=(first, last)).values_list("day", flat=True))
    weekly: dict[int, list[tuple[time, time, int]]] = defaultdict(list)
    for shift in NurseShift.objects.all():
        weekly[shift.weekday].append((shift.starts, shift.ends, shift.nurses))
    overrides: dict[date, list[tuple[time, time, int]]] = defaultdict(list)
    for item in NurseOverride.objects.filter(day__range=(first, last)):
        overrides[item.day].append((item.starts, item.ends, item.nurses))
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
                opens=local_dt(day, opening.opens, tz),
                closes=local_dt(day, opening.closes, tz),
                last_start=local_dt(day, opening.last_start, tz),
                capacity=_steps(day, shifts, ratio, tz),
            )
        )
    return days


def engine_chairs(kind: str = "") -> list[engine.Chair]:
    chairs = Chair.objects.filter(is_active=True)
    if kind:
        chairs = chairs.filter(kind=kind)
    return [engine.Chair(id=c.pk, name=c.name, kind=c.kind) for c in chairs]


def engine_booked(first: date, last: date, *, exclude: int | None = None) -> list[engine.Booked]:
    """Return active sessions touching the local dates, except the session `exclude`."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    sessions = Session.objects.active().filter(start__lt=end, end__gt=start)
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude)
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
