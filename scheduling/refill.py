"""Who gets a freed chair time first: pure rules for the waitlist backfill (no ORM, no clock).

Plain values in, plain values out, so the worker (`scheduling.backfill`) and the schedule
benchmark (`bench/schedule_quality.py`) use the same rules.

A waitlisted dose may be offered a freed time when:
- the time is earlier than the dose's booked start (the patient asked for earlier);
- its clinic-local date is inside the dose's window (narrowed by the minimum gaps);
- it starts no sooner than the patient's notice from now;
- it fits the patient's own limits (mornings or afternoons only, weekdays) and the course's
  chair kind; chair time, opening hours and nurse capacity are the engine's part
  (`first_fit`), checked against the day with the patient's own session left out.

Ranking (DOMAIN.md §6, "in order of clinical need, then time waiting"): overdue doses first
(the target date has passed), then the nearest end of window, then the longest waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from scheduling import availability as engine

NOON_HOUR = 12


@dataclass(frozen=True, slots=True)
class Freed:
    """A chair time that has just become free."""

    chair_id: int
    chair_kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """One waitlisted dose, as plain values."""

    entry_id: int
    minutes: int
    target: date
    earliest: date
    latest: date
    current_start: datetime
    notice: timedelta
    waiting_since: datetime
    part_of_day: str = "any"  # "any" | "morning" | "afternoon": a hard limit here
    weekdays: frozenset[int] = frozenset()  # empty = any weekday
    chair_kinds: frozenset[str] = frozenset()  # empty = any kind


def part_of_day_ok(part: str, start: datetime, tz: tzinfo) -> bool:
    hour = start.astimezone(tz).hour
    if part == "morning":
        return hour < NOON_HOUR
    if part == "afternoon":
        return hour >= NOON_HOUR
    return True


def may_take(candidate: Candidate, start: datetime, *, now: datetime, tz: tzinfo) -> bool:
    """Return whether the patient's own limits allow being offered `start`."""
    local = start.astimezone(tz)
    return (
        start < candidate.current_start
        and candidate.earliest <= local.date() <= candidate.latest
        and start - now >= candidate.notice
        and (not candidate.weekdays or local.weekday() in candidate.weekdays)
        and part_of_day_ok(candidate.part_of_day, start, tz)
    )


def could_fit(candidate: Candidate, freed: Freed, *, now: datetime, tz: tzinfo) -> bool:
    """A cheap first test before asking the engine: kind, window, notice, earlier."""
    if candidate.chair_kinds and freed.chair_kind not in candidate.chair_kinds:
        return False
    return may_take(candidate, freed.start, now=now, tz=tz) or may_take(
        candidate,
        max(freed.start, freed.end - timedelta(minutes=candidate.minutes)),
        now=now,
        tz=tz,
    )


def rank(candidates: Iterable[Candidate], today: date) -> list[Candidate]:
    """Return candidates in offer order: overdue, then nearest end of window, then waiting."""
    return sorted(
        candidates,
        key=lambda c: (
            0 if c.target < today else 1,
            c.latest,
            c.waiting_since,
            c.entry_id,
        ),
    )


def best_start(
    candidate: Candidate,
    freed: Freed,
    options: Sequence[engine.Option],
    booked: Sequence[engine.Booked],
    *,
    now: datetime,
    tz: tzinfo,
) -> engine.Option | None:
    """Return the earliest feasible start inside the freed time with the freed chair free.

    The engine answers "can a session of this length and kind start then" (hours, nurses,
    chair count) with one option per start, whichever chair it picked; the freed chair is
    checked here, as the booking service checks the chosen chair.
    """
    on_chair = [b for b in booked if b.chair_id == freed.chair_id]
    for option in sorted(options, key=lambda o: o.start):
        if not freed.start <= option.start < freed.end:
            continue
        if any(b.start < option.end and b.end > option.start for b in on_chair):
            continue
        if may_take(candidate, option.start, now=now, tz=tz):
            return replace(option, chair_id=freed.chair_id)
    return None


def fit(
    candidate: Candidate,
    freed: Freed,
    *,
    day: engine.ClinicDay,
    chairs: Sequence[engine.Chair],
    booked: Sequence[engine.Booked],
    now: datetime,
    tz: tzinfo,
) -> engine.Option | None:
    """Ask the engine where the candidate's dose could start in the freed time, or None.

    `chairs` are all the chairs in use (the engine counts them as a limit on concurrency);
    `booked` is the day without the candidate's own session.
    """
    if candidate.chair_kinds and freed.chair_kind not in candidate.chair_kinds:
        return None
    local_day = freed.start.astimezone(tz).date()
    options = engine.find_options(
        days=[day],
        chairs=chairs,
        booked=booked,
        request=engine.SlotRequest(
            minutes=candidate.minutes,
            earliest=local_day,
            latest=local_day,
            chair_kinds=frozenset({freed.chair_kind}),
        ),
        tz=tz,
        limit=10_000,
        ranking="first_fit",
    )
    return best_start(candidate, freed, options, booked, now=now, tz=tz)
