"""The day board: chairs down the side, 15-minute slots across, nurse load underneath.

`board_build` reads the day with a fixed number of queries whatever the number of sessions
and returns plain rows the template places with CSS classes (no inline styles: CSP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, time, timedelta

from clinic import clock
from scheduling import selectors
from scheduling.authorisations import uncovered_sessions
from scheduling.models import Chair, Session, SessionStatus

SLOT = timedelta(minutes=15)
# The CSS in static/css/chairside.css has placement classes for this many slots (16 hours).
MAX_SLOTS = 64
DEFAULT_HOURS = (time(7), time(18))


@dataclass
class Block:
    session: Session
    start_slot: int  # 1-based column among the slots
    span: int
    label: str
    title: str  # the whole label, for a block too narrow to show it
    no_authorisation: bool = False  # the course needs one and none covers the day


@dataclass
class Row:
    chair: Chair
    blocks: list[Block] = field(default_factory=list)


@dataclass
class LoadCell:
    slot: int
    at: str
    sessions: int
    capacity: int

    @property
    def level(self) -> str:
        if self.capacity == 0:
            return "closed" if self.sessions == 0 else "over"
        if self.sessions > self.capacity:
            return "over"
        if self.sessions == self.capacity:
            return "full"
        return "high" if self.sessions >= self.capacity * 0.75 else "ok"


@dataclass
class Board:
    day: date
    is_open: bool
    slots: int
    hours: list[tuple[int, int, str]]  # (start slot, span, "08:00") for each whole hour
    rows: list[Row]
    load: list[LoadCell]
    sessions: list[Session]


def board_build(day: date) -> Board:
    """Return the board of one clinic-local date."""
    tz = clock.clinic_tz()
    clinic_day = next(iter(selectors.clinic_days(day, day)), None)
    if clinic_day is not None:
        first, last = clinic_day.opens, clinic_day.closes
    else:
        first = clock.local_dt(day, DEFAULT_HOURS[0], tz)
        last = clock.local_dt(day, DEFAULT_HOURS[1], tz)
    # In UTC: zoned arithmetic is wall-clock, so a fall-back night would lose its extra hour.
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    slots = min(MAX_SLOTS, int((last - first) / SLOT))
    midnight, next_midnight = clock.day_bounds(day, tz)
    sessions = list(
        selectors.sessions_overlapping(Session.objects.all(), midnight, next_midnight)
        .exclude(status=SessionStatus.CANCELLED)
        .select_related("course__patient", "course__therapy", "chair", "dose")
        .order_by("start")
    )
    chairs = list(Chair.objects.filter(is_active=True))
    rows = {chair.pk: Row(chair=chair) for chair in chairs}
    uncovered = uncovered_sessions(sessions)
    for session in sessions:
        row = rows.get(session.chair_id)
        if row is None:  # a chair taken out of use since; keep its sessions visible
            row = rows[session.chair_id] = Row(chair=session.chair)
        begin = max(0, int((session.start - first) / SLOT))
        end = min(slots, -int(-(session.end - first) // SLOT))
        if end <= begin:
            continue
        row.blocks.append(
            Block(
                session=session,
                start_slot=begin + 1,
                span=end - begin,
                label=f"{clock.time_label(session.start)} {session.course.patient.display_name}",
                title=(
                    f"{clock.time_label(session.start)}–{clock.time_label(session.end)} "
                    f"{session.course.patient.display_name}: {session.course.therapy.name}, "
                    f"{session.dose.label} ({session.get_status_display()})"
                    + (": no authorisation covers this day" if session.pk in uncovered else "")
                ),
                no_authorisation=session.pk in uncovered,
            )
        )
    active = [s for s in sessions if s.is_active]
    load = []
    for index in range(slots):
        at = first + index * SLOT
        capacity = 0
        if clinic_day is not None:
            capacity = next((c.patients for c in clinic_day.capacity if c.start <= at < c.end), 0)
        running = sum(1 for s in active if s.start <= at < s.end)
        load.append(
            LoadCell(slot=index + 1, at=clock.time_label(at), sessions=running, capacity=capacity)
        )
    hours = [
        (index + 1, min(4, slots - index), clock.time_label(first + index * SLOT))
        for index in range(slots)
        if (first + index * SLOT).astimezone(tz).minute == 0
    ]
    return Board(
        day=day,
        is_open=clinic_day is not None,
        slots=slots,
        hours=hours,
        rows=list(rows.values()),
        load=load,
        sessions=sessions,
    )


def parse_day(value: str | None) -> date | None:
    """Return the date asked for in the query string (YYYY-MM-DD), or None."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# How far "next open day" and "previous open day" look (a long closure hides nothing nearer).
OPEN_DAY_SEARCH = timedelta(days=62)


@dataclass(frozen=True)
class BoardDays:
    day: date  # the day the board shows
    previous: date | None  # the open day before it, if any within the search
    next: date | None  # the open day after it
    closed_today: date | None  # set when the board opened on the next open day instead


def board_days(requested: date | None, today: date) -> BoardDays:
    """Return the day to show and its neighbouring open days, from one read of the calendar.

    Asked for no day, the board opens on today, or on the next open day when today is closed.
    """
    centre = requested or today
    open_days = [
        d.day for d in selectors.clinic_days(centre - OPEN_DAY_SEARCH, centre + OPEN_DAY_SEARCH)
    ]
    day, closed_today = centre, None
    if requested is None and today not in open_days:
        later = [d for d in open_days if d > today]
        if later:
            day, closed_today = later[0], today
    return BoardDays(
        day=day,
        previous=max((d for d in open_days if d < day), default=None),
        next=min((d for d in open_days if d > day), default=None),
        closed_today=closed_today,
    )
