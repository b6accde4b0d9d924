"""The read side of booking: dose windows, free times and course plans, via the pure engine.

Nothing here writes or locks. `scheduling.booking` re-checks whatever a person picks from
these options under its day locks before it writes; it also calls `next_free` after a
refusal, once the locks are released, to offer the next free times.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.utils import timezone

from clinic.clock import clinic_tz, local_day
from scheduling import availability as engine
from scheduling import selectors, series
from scheduling.chair_times import doses_attach_chair_times
from scheduling.models import Chair, PlannedDose, Session, TreatmentCourse

# Whole-course booking plans at most this many unbooked doses at once (blocks kept whole).
COURSE_BOOK_DOSES = 4
# Days searched first for the next free times; the rest of the window only if they have none.
NEXT_FREE_FIRST_DAYS = 3


def _quarter_after(moment: datetime) -> datetime:
    """Return the first quarter hour after `moment` (the booking grid's step)."""
    moment = moment.replace(second=0, microsecond=0)
    return moment + timedelta(minutes=15 - moment.minute % 15)


def bookable_from(dose: PlannedDose, now: datetime) -> tuple[date, datetime | None]:
    """Return the first local day a dose may be offered on, and the first start that day.

    Doses are offered from tomorrow; the first dose of an urgent therapy (IV
    methylprednisolone) from the next quarter hour today. Never a time already past.
    """
    if dose.sequence == 1 and dose.course.therapy.book_within_hours:
        return local_day(now), _quarter_after(now)
    return local_day(now) + timedelta(days=1), None


def first_dose_by(dose: PlannedDose, now: datetime) -> datetime | None:
    """Return when an urgent course's first dose should start by (acceptance + N hours).

    None when there is no such limit, or when it has passed: a late dose is still booked,
    inside its window, rather than never.
    """
    course = dose.course
    hours = course.therapy.book_within_hours
    # A course planned to start later than its acceptance day follows its own start date.
    if dose.sequence != 1 or not hours or course.start_after > local_day(course.created_at):
        return None
    deadline = course.created_at + timedelta(hours=hours)
    return deadline if deadline > now else None


def bookable_days(
    first: date,
    last: date,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> list[engine.ClinicDay]:
    """Return the open days between two dates, trimmed to start after `not_before` and
    no later than `not_after` (an urgent first dose's deadline)."""
    days = []
    for day in selectors.clinic_days(first, last):
        if not_before is not None and day.opens < not_before:
            if not_before > day.last_start:
                continue
            day = replace(day, opens=not_before)
        if not_after is not None and day.last_start > not_after:
            if not_after < day.opens:
                continue
            day = replace(day, last_start=not_after)
        days.append(day)
    return days


@dataclass(frozen=True)
class Choice:
    """One dose to book at a start time in a chair (what staff or a patient picked)."""

    dose: PlannedDose
    chair: Chair
    start: datetime


def near_sessions(dose: PlannedDose, exclude: selectors.Excluded) -> list[Session]:
    """Return the course's active sessions for this dose and the doses either side."""
    sessions = Session.objects.active().filter(
        course_id=dose.course_id, dose__sequence__range=(dose.sequence - 1, dose.sequence + 1)
    )
    return list(
        selectors.excluding(sessions, exclude)
        .select_related("dose")
        .order_by()  # the default ordering would join the chairs only to sort by them
    )


def window_bounds(dose: PlannedDose, near: Iterable[Session]) -> tuple[date, date]:
    """Return the dose's window narrowed by the minimum gaps to the `near` sessions."""
    earliest, latest = dose.earliest, dose.latest
    for other in near:
        other_day = local_day(other.start)
        if other.dose.sequence < dose.sequence:
            earliest = max(
                earliest, series.gap_earliest(other_day, dose.min_gap_days, dose.min_gap_months)
            )
        elif other.dose.sequence > dose.sequence:
            gap = series.gap_latest(other_day, other.dose.min_gap_days, other.dose.min_gap_months)
            latest = min(latest, gap)
    return earliest, latest


def dose_bounds(dose: PlannedDose, *, exclude: selectors.Excluded = None) -> tuple[date, date]:
    """Return the local dates a dose may be given: its window, narrowed by minimum gaps."""
    return window_bounds(dose, near_sessions(dose, exclude))


def slot_request(dose: PlannedDose, first: date, last: date, kind: str = "") -> engine.SlotRequest:
    """Return the engine's request for one dose between two local dates."""
    kinds = kind or dose.course.chair_kind
    return engine.SlotRequest(
        minutes=dose.minutes,
        earliest=first,
        latest=last,
        chair_kinds=frozenset({kinds}) if kinds else frozenset(),
        part_of_day=dose.course.part_of_day,
    )


def dose_options(
    *,
    dose: PlannedDose,
    now: datetime | None = None,
    exclude: selectors.Excluded = None,
    limit: int = 5,
    ranking: str = "level",
) -> list[engine.Option]:
    """Return the engine's best options for one dose inside its window (see `bookable_from`)."""
    now = now or timezone.now()
    first, last = dose_bounds(dose, exclude=exclude)
    from_day, not_before = bookable_from(dose, now)
    first = max(first, from_day)
    if first > last:
        return []
    return engine.find_options(
        days=bookable_days(first, last, not_before=not_before, not_after=first_dose_by(dose, now)),
        chairs=selectors.engine_chairs(),
        booked=selectors.engine_booked(first, last, exclude=exclude),
        request=slot_request(dose, first, last),
        tz=clinic_tz(),
        limit=limit,
        ranking=ranking,
    )


def course_doses_to_book(course: TreatmentCourse) -> list[PlannedDose]:
    """Return the course's next unbooked doses to plan together, keeping blocks whole."""
    booked = set(Session.objects.active().filter(course=course).values_list("dose_id", flat=True))
    unbooked = [d for d in course.doses.select_related("step", "course") if d.pk not in booked]
    doses_attach_chair_times(unbooked)
    wanted = unbooked[:COURSE_BOOK_DOSES]
    while (
        len(wanted) < len(unbooked)
        and wanted[-1].block is not None
        and (unbooked[len(wanted)].block == wanted[-1].block)
    ):
        wanted.append(unbooked[len(wanted)])
    return wanted


def course_plans(
    *,
    doses: Sequence[PlannedDose],
    now: datetime | None = None,
    limit: int = 3,
    start_from: date | None = None,
    part_of_day: str | None = None,
) -> list[list[Choice]]:
    """Return up to `limit` plans for unbooked doses of one course, the earliest first.

    Consecutive-day doses sharing a block number go to the engine as one block request.
    Each plan is a list of Choices, one per dose, ready for `course_book`. A scheduler may
    ask for the first dose on or after `start_from` (the plans then try that day and the
    days after it in order) and in a `part_of_day` other than the course's.
    """
    now = now or timezone.now()
    doses = sorted(doses, key=lambda d: d.sequence)
    if not doses:
        return []
    first_dose = doses[0]
    first, last = dose_bounds(first_dose)
    from_day, not_before = bookable_from(first_dose, now)
    first = max(first, from_day, start_from or first)
    if first > last:
        return []
    requests: list[series.DoseRequest] = []
    index = 0
    while index < len(doses):
        dose = doses[index]
        run = 1
        while (
            dose.block is not None
            and index + run < len(doses)
            and doses[index + run].block == dose.block
        ):
            run += 1
        requests.append(
            series.DoseRequest(
                # A block reserves its longest day (Lemtrada days 1-3 vs 4-5) on every day.
                minutes=max(d.minutes for d in doses[index : index + run]),
                offset_days=dose.offset_days - first_dose.offset_days,
                window_before=(dose.target - dose.earliest).days if index else 0,
                window_after=(dose.latest - dose.target).days if index else 0,
                min_gap_days=dose.min_gap_days if index else 0,
                min_gap_months=dose.min_gap_months if index else 0,
                block_days=run,
            )
        )
        index += run
    horizon = last + timedelta(
        days=doses[-1].offset_days
        - first_dose.offset_days
        + (doses[-1].latest - doses[-1].target).days
        + 1
    )
    course = first_dose.course
    chairs = {c.pk: c for c in Chair.objects.filter(is_active=True)}
    # The deadline applies to the first day only; later doses' days are not trimmed.
    deadline = first_dose_by(first_dose, now)
    days = bookable_days(first, horizon, not_before=not_before)
    if deadline is not None:
        days = [d for d in days if d.day > local_day(deadline) or d.opens <= deadline]
        last = min(last, local_day(deadline))
    plans = series.plan_series(
        days=days,
        chairs=selectors.engine_chairs(),
        booked=selectors.engine_booked(first, horizon),
        doses=requests,
        first_earliest=first,
        first_latest=last,
        tz=clinic_tz(),
        chair_kinds=frozenset({course.chair_kind}) if course.chair_kind else frozenset(),
        part_of_day=part_of_day or course.part_of_day,
        limit=limit,
        by_date=start_from is not None,
    )
    return [
        [
            Choice(dose, chairs[o.chair_id], o.start)
            for dose, o in zip(doses, plan.options, strict=True)
        ]
        for plan in plans
        if deadline is None or plan.options[0].start <= deadline
    ]


def open_windows(doses: Sequence[PlannedDose]) -> dict[int, tuple[date, date] | None]:
    """Return each dose's window narrowed to the clinic's open days (None: no open day).

    What a staff page shows for a dose not yet booked: never a date the clinic is closed.
    One read of the calendar for all the doses.
    """
    if not doses:
        return {}
    first = min(d.earliest for d in doses)
    last = max(d.latest for d in doses)
    open_days = [d.day for d in selectors.clinic_days(first, last)]
    windows: dict[int, tuple[date, date] | None] = {}
    for dose in doses:
        inside = open_days[
            bisect_left(open_days, dose.earliest) : bisect_right(open_days, dose.latest)
        ]
        windows[dose.pk] = (inside[0], inside[-1]) if inside else None
    return windows


def plan_day_loads(plans: Sequence[Sequence[Choice]]) -> dict[date, int]:
    """Return each planned day's peak number of sessions at once, as booked now."""
    days = sorted({local_day(c.start) for plan in plans for c in plan})
    if not days:
        return {}
    booked = selectors.engine_booked(days[0], days[-1])
    return {day: selectors.day_load(day, booked) for day in days}


def next_free(
    dose: PlannedDose,
    start: datetime,
    now: datetime,
    exclude: selectors.Excluded,
    *,
    near: Sequence[Session],
    chairs: list[engine.Chair],
    count: int = 3,
) -> list[engine.Option]:
    """Return the first `count` free times from `start` on, inside the dose's window."""
    first, last = window_bounds(dose, near)
    from_day, not_before = bookable_from(dose, now)
    first = max(first, from_day, local_day(start))
    soon = min(last, first + timedelta(days=NEXT_FREE_FIRST_DAYS - 1))
    found: list[engine.Option] = []
    for lo, hi in ((first, soon), (soon + timedelta(days=1), last)):
        if lo > hi:
            continue
        options = engine.find_options(
            days=bookable_days(lo, hi, not_before=not_before, not_after=first_dose_by(dose, now)),
            chairs=chairs,
            booked=selectors.engine_booked(lo, hi, exclude=exclude),
            request=slot_request(dose, lo, hi),
            tz=clinic_tz(),
            limit=count + 50,
            ranking="first_fit",
        )
        found += [o for o in options if o.start >= start]
        if len(found) >= count:
            break
    return found[:count]


def move_options(
    *, session: Session, now: datetime | None = None, limit: int = 8
) -> list[engine.Option]:
    """Return other times for one session's dose: never the session's own start."""
    options = dose_options(dose=session.dose, now=now, exclude=session.pk, limit=limit + 1)
    return [o for o in options if o.start != session.start][:limit]


def block_doses(dose: PlannedDose) -> list[PlannedDose]:
    """Return the doses of the consecutive-day block `dose` is in, in order ([dose] if none)."""
    if dose.block is None:
        return [dose]
    return list(
        PlannedDose.objects.filter(course_id=dose.course_id, block=dose.block)
        .select_related("step", "course__therapy")
        .order_by("sequence")
    )


def block_sessions(doses: Sequence[PlannedDose]) -> list[Session]:
    """Return the active sessions of a block's doses, in dose order."""
    return list(
        Session.objects.active()
        .filter(dose__in=doses)
        .select_related("dose__step", "dose__course__therapy", "chair")
        .order_by("dose__sequence")
    )


def block_bounds(doses: Sequence[PlannedDose], sessions: Sequence[Session]) -> tuple[date, date]:
    """Return the local dates a whole block's first day may move to.

    The first dose's window, narrowed by the minimum gaps to the booked doses either side of
    the block (its own sessions are the ones moving); the last day, `len(doses) - 1` days
    after the first, must keep its gap to the dose that follows the block.
    """
    first_dose, last_dose = doses[0], doses[-1]
    moving = {s.pk for s in sessions}
    near = [
        s
        for s in near_sessions(first_dose, moving) + near_sessions(last_dose, moving)
        if s.dose.sequence < first_dose.sequence or s.dose.sequence > last_dose.sequence
    ]
    earliest, latest = window_bounds(
        first_dose, [s for s in near if s.dose.sequence < first_dose.sequence]
    )
    span = timedelta(days=len(doses) - 1)
    for after in (s for s in near if s.dose.sequence > last_dose.sequence):
        gap = series.gap_latest(
            local_day(after.start), after.dose.min_gap_days, after.dose.min_gap_months
        )
        latest = min(latest, gap - span)
    return earliest, latest


def block_move_options(
    *,
    doses: Sequence[PlannedDose],
    sessions: Sequence[Session],
    now: datetime | None = None,
    limit: int = 5,
) -> list[list[engine.Option]]:
    """Return ways to move a whole block of consecutive days, best first: one Option a day.

    Every day of a plan is at the same local time in the same chair (as `course_plans`
    books a block); the block's current first start is never offered.
    """
    now = now or timezone.now()
    first, last = block_bounds(doses, sessions)
    # From the first bookable day, and never a time already past on it.
    from_day, not_before = bookable_from(doses[0], now)
    first = max(first, from_day)
    if first > last:
        return []
    span = len(doses)
    horizon = last + timedelta(days=span)
    course = doses[0].course
    plans = series.plan_series(
        days=bookable_days(first, horizon, not_before=not_before),
        chairs=selectors.engine_chairs(),
        booked=selectors.engine_booked(first, horizon, exclude=[s.pk for s in sessions]),
        doses=[
            series.DoseRequest(
                minutes=max(d.minutes for d in doses), offset_days=0, block_days=span
            )
        ],
        first_earliest=first,
        first_latest=last,
        tz=clinic_tz(),
        chair_kinds=frozenset({course.chair_kind}) if course.chair_kind else frozenset(),
        part_of_day=course.part_of_day,
        limit=limit + 1,
    )
    current = sessions[0].start if sessions else None
    return [list(p.options) for p in plans if p.options[0].start != current][:limit]


def blocks_of(doses: Iterable[PlannedDose]) -> dict[tuple[int, int], list[PlannedDose]]:
    """Return every block the doses are in, by (course id, block number), in one query."""
    wanted = {(d.course_id, d.block) for d in doses if d.block is not None}
    if not wanted:
        return {}
    blocks: dict[tuple[int, int], list[PlannedDose]] = {}
    rows = PlannedDose.objects.filter(
        course_id__in={course for course, _ in wanted}, block__isnull=False
    ).order_by("course_id", "sequence")
    for dose in rows.only("id", "course_id", "block", "sequence"):
        if (dose.course_id, dose.block) in wanted:
            blocks.setdefault((dose.course_id, dose.block), []).append(dose)
    return blocks
