"""Chair utilisation and attendance reports: aggregate queries over sessions, no row loops.

Sessions count on the clinic-local day they start. Booked chair-hours are every session not
cancelled (a no-show held its chair); actual chair-hours run from check-in to discharge
(completed sessions, DOMAIN.md "time in chair"). Open chair-hours are the chairs in use
times each open day's hours. A late cancellation is one made less than 24 hours before the
start; a no-show is a booked session with no arrival and no cancellation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from django.db.models import (
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    Greatest,
    Least,
    TruncDate,
    TruncWeek,
)
from django.utils import timezone

from clinic.clock import clinic_tz
from clinic.reports import Chart, Period, Section, Series, Table, hours, percent
from scheduling import selectors
from scheduling.models import Chair, Session, SessionStatus

LATE_CANCEL = timedelta(hours=24)
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

_BOOKED = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
_ACTUAL = ExpressionWrapper(F("completed_at") - F("checked_in_at"), output_field=DurationField())
_COMPLETED = Q(status=SessionStatus.COMPLETED, checked_in_at__isnull=False)


def _in_period(period: Period) -> QuerySet[Session]:
    return Session.objects.filter(start__gte=period.start, start__lt=period.end).order_by()


def _held(period: Period) -> QuerySet[Session]:
    """Sessions that held a chair: all but the cancelled."""
    return _in_period(period).exclude(status=SessionStatus.CANCELLED)


def _chair_time() -> dict:
    return {"booked": Sum(_BOOKED), "actual": Sum(_ACTUAL, filter=_COMPLETED)}


# --- Utilisation ------------------------------------------------------------------------------


def utilisation_by_day(period: Period, chairs: int, open_hours: dict[date, float]) -> Table:
    """Booked and actual chair-hours against open chair-hours, per open day."""
    tz = clinic_tz()
    grouped = (
        _held(period)
        .annotate(day=TruncDate("start", tzinfo=tz))
        .values("day")
        .annotate(**_chair_time())
    )
    by_day = {row["day"]: row for row in grouped}
    rows = []
    for day in sorted(set(open_hours) | set(by_day)):
        row = by_day.get(day, {})
        booked, actual = hours(row.get("booked")), hours(row.get("actual"))
        open_ = round(chairs * open_hours.get(day, 0.0), 1)
        rows.append(
            (
                f"{WEEKDAYS[day.weekday()]} {day:%Y-%m-%d}",
                open_,
                booked,
                actual,
                percent(booked, open_),
                percent(actual, open_),
            )
        )
    return Table(
        "by-day",
        "Chair-hours per day",
        ("Day", "Open chair-hours", "Booked", "Actual", "Booked %", "Actual %"),
        rows,
    )


def _local_minutes(field: str) -> ExpressionWrapper:
    tz = clinic_tz()
    return ExpressionWrapper(
        ExtractHour(field, tzinfo=tz) * 60 + ExtractMinute(field, tzinfo=tz),
        output_field=IntegerField(),
    )


def load_by_hour(period: Period, first_hour: int, last_hour: int) -> dict[int, float]:
    """Return chair-minutes booked inside each local hour of the day, over the period.

    One aggregate: for each hour, the sum of each session's overlap with that hour.
    """
    start, end = _local_minutes("start"), _local_minutes("end")
    sums = {
        f"h{h}": Sum(
            Greatest(Value(0), Least(end, Value(60 * h + 60)) - Greatest(start, Value(60 * h))),
            output_field=IntegerField(),
        )
        for h in range(first_hour, last_hour)
    }
    totals = _held(period).aggregate(**sums) if sums else {}
    return {h: float(totals[f"h{h}"] or 0) for h in range(first_hour, last_hour)}


def utilisation_by_chair(period: Period, chairs: list[Chair], open_total: float) -> Table:
    grouped = _held(period).values("chair_id").annotate(**_chair_time())
    by_chair = {row["chair_id"]: row for row in grouped}
    rows = []
    for chair in chairs:
        row = by_chair.get(chair.pk, {})
        if not chair.is_active and not row:
            continue
        booked, actual = hours(row.get("booked")), hours(row.get("actual"))
        open_ = round(open_total, 1) if chair.is_active else 0.0
        rows.append(
            (chair.name, open_, booked, actual, percent(booked, open_), percent(actual, open_))
        )
    return Table(
        "by-chair",
        "Chair-hours per chair",
        ("Chair", "Open chair-hours", "Booked", "Actual", "Booked %", "Actual %"),
        rows,
    )


def utilisation_report(period: Period) -> list[Section]:
    days = selectors.clinic_days(period.first, period.last)
    all_chairs = list(Chair.objects.all())
    in_use = sum(1 for c in all_chairs if c.is_active)
    open_hours = {d.day: (d.closes - d.opens).total_seconds() / 3600 for d in days}
    by_day = utilisation_by_day(period, in_use, open_hours)
    open_total = sum(r[1] for r in by_day.rows)
    booked_total = sum(r[2] for r in by_day.rows)
    actual_total = sum(r[3] for r in by_day.rows)
    hourly = _hourly_section(period, days, in_use)
    by_chair = utilisation_by_chair(period, all_chairs, sum(open_hours.values()))
    return [
        Section(
            "Per day",
            f"Booked {percent(booked_total, open_total) or 0:.1f} % of {open_total:.0f} open "
            f"chair-hours, used {percent(actual_total, open_total) or 0:.1f} % "
            f"({booked_total:.1f} booked, {actual_total:.1f} actual).",
            by_day,
            Chart(
                [r[0][4:] for r in by_day.rows],
                [
                    Series("Booked chair-hours", [r[2] for r in by_day.rows]),
                    Series("Actual chair-hours", [r[3] for r in by_day.rows]),
                    Series("Open chair-hours", [r[1] for r in by_day.rows], "step"),
                ],
                "Chair-hours",
                "Bar chart of booked and actual chair-hours per day, with open chair-hours "
                "as a line.",
            ),
            note="Actual chair-hours run from check-in to discharge (completed visits).",
        ),
        hourly,
        Section(
            "Per chair",
            _busiest_chair(by_chair),
            by_chair,
            Chart(
                [r[0] for r in by_chair.rows],
                [
                    Series("Booked %", [r[4] for r in by_chair.rows]),
                    Series("Actual %", [r[5] for r in by_chair.rows]),
                ],
                "% of open chair-hours",
                "Horizontal bar chart of booked and actual use of each chair, in percent.",
                horizontal=True,
            ),
        ),
    ]


def _busiest_chair(table: Table) -> str:
    rated = [r for r in table.rows if r[4] is not None]
    if not rated:
        return "No chair was open in this period."
    top = max(rated, key=lambda r: r[4])
    low = min(rated, key=lambda r: r[4])
    return f"Busiest: {top[0]} ({top[4]:.1f} % booked); quietest: {low[0]} ({low[4]:.1f} %)."


def _minute(instant: datetime, tz: tzinfo) -> int:
    local = instant.astimezone(tz)
    return local.hour * 60 + local.minute


def _hourly_section(period: Period, days: list, chairs: int) -> Section:
    """The load curve: patients in chairs per hour of day, on average, against the nurse cap."""
    tz = clinic_tz()
    if days:
        first_hour = min(d.opens.astimezone(tz).hour for d in days)
        last_hour = max(
            d.closes.astimezone(tz).hour + (1 if d.closes.astimezone(tz).minute else 0)
            for d in days
        )
    else:
        first_hour = last_hour = 0
    load = load_by_hour(period, first_hour, last_hour)
    n_days = len(days)
    rows = []
    for h in range(first_hour, last_hour):
        # Over the clinic's set-up (days × nurse shifts), not over sessions.
        cap_minutes = sum(
            max(0, min(_minute(step.end, tz), h * 60 + 60) - max(_minute(step.start, tz), h * 60))
            * step.patients
            for d in days
            for step in d.capacity
        )
        average = round(load[h] / 60 / n_days, 1) if n_days else 0.0
        cap = round(cap_minutes / 60 / n_days, 1) if n_days else 0.0
        rows.append((f"{h:02d}:00", average, cap, chairs, percent(average, cap)))
    table = Table(
        "by-hour",
        "Patients in chairs per hour of day (average over open days)",
        ("Hour", "Patients in chairs", "Nurse cap", "Chairs", "% of nurse cap"),
        rows,
    )
    if rows and any(r[1] for r in rows):
        peak = max(rows, key=lambda r: r[1])
        caption = (
            f"Peak hour {peak[0]}: {peak[1]:.1f} patients in chairs on average, against a "
            f"nurse cap of {peak[2]:.1f} and {chairs} chairs."
        )
    else:
        caption = "No chair time was booked in this period."
    return Section(
        "Per hour of day",
        caption,
        table,
        Chart(
            [r[0] for r in rows],
            [
                Series("Patients in chairs", [r[1] for r in rows]),
                Series("Nurse cap", [r[2] for r in rows], "step"),
                Series("Chairs", [r[3] for r in rows], "step"),
            ],
            "Patients",
            "Bar chart of the average number of patients in chairs in each hour of the day, "
            "with the nurse cap and the number of chairs as lines.",
        ),
        note="Nurse cap: nurses on duty times patients per nurse, averaged over the open days.",
    )


# --- Attendance ---------------------------------------------------------------------------------


def _attendance_counts() -> dict:
    late = Q(status=SessionStatus.CANCELLED, cancelled_at__gt=F("start") - LATE_CANCEL)
    return {
        "due": Count("id"),
        "completed": Count("id", filter=Q(status=SessionStatus.COMPLETED)),
        "no_shows": Count("id", filter=Q(status=SessionStatus.NO_SHOW)),
        "late": Count("id", filter=late),
        "early": Count("id", filter=Q(status=SessionStatus.CANCELLED) & ~late),
    }


def _attendance_row(label: str, row: dict) -> tuple:
    expected = row["due"] - row["early"]
    missed = row["no_shows"] + row["late"]
    return (
        label,
        row["due"],
        row["completed"],
        row["no_shows"],
        row["late"],
        row["early"],
        percent(missed, expected),
    )


_ATTENDANCE_COLUMNS = (
    "Sessions",
    "Completed",
    "No-shows",
    "Late cancellations",
    "Earlier cancellations",
    "Missed %",
)


def _due(period: Period) -> QuerySet[Session]:
    """Sessions of the period whose start has passed: only those can be missed."""
    return _in_period(period).filter(start__lt=timezone.now())


def attendance_tables(period: Period) -> tuple[Table, Table, Table]:
    tz = clinic_tz()
    weeks = (
        _due(period)
        .annotate(week=TruncWeek("start", tzinfo=tz, output_field=DateField()))
        .values("week")
        .annotate(**_attendance_counts())
        .order_by("week")
    )
    therapies = (
        _due(period)
        .values("course__therapy__name")
        .annotate(**_attendance_counts())
        .order_by("course__therapy__name")
    )
    weekdays = (
        _due(period)
        .annotate(weekday=ExtractIsoWeekDay("start", tzinfo=tz))
        .values("weekday")
        .annotate(**_attendance_counts())
        .order_by("weekday")
    )
    return (
        Table(
            "by-week",
            "Attendance by week",
            ("Week of", *_ATTENDANCE_COLUMNS),
            [_attendance_row(f"{r['week']:%Y-%m-%d}", r) for r in weeks],
        ),
        Table(
            "by-therapy",
            "Attendance by therapy",
            ("Therapy", *_ATTENDANCE_COLUMNS),
            [_attendance_row(r["course__therapy__name"], r) for r in therapies],
        ),
        Table(
            "by-weekday",
            "Attendance by weekday",
            ("Weekday", *_ATTENDANCE_COLUMNS),
            [_attendance_row(WEEKDAYS[r["weekday"] - 1], r) for r in weekdays],
        ),
    )


def _missed_chart(table: Table, what: str, horizontal: bool = False) -> Chart:
    return Chart(
        [str(r[0]) for r in table.rows],
        [
            Series("No-shows", [r[3] for r in table.rows]),
            Series("Late cancellations", [r[4] for r in table.rows]),
        ],
        "Sessions",
        f"Stacked bar chart of no-shows and late cancellations {what}.",
        stacked=True,
        horizontal=horizontal,
    )


def attendance_report(period: Period) -> list[Section]:
    weeks, therapies, weekdays = attendance_tables(period)
    due = sum(r[1] for r in weeks.rows)
    no_shows = sum(r[3] for r in weeks.rows)
    late = sum(r[4] for r in weeks.rows)
    early = sum(r[5] for r in weeks.rows)
    rate = percent(no_shows + late, due - early)
    overall = (
        f"{no_shows} no-shows and {late} late cancellations out of {due - early} sessions "
        f"expected ({rate or 0:.1f} % missed)."
    )
    worst = max(therapies.rows, key=lambda r: r[6] or 0, default=None)
    worst_day = max(weekdays.rows, key=lambda r: r[6] or 0, default=None)
    return [
        Section("By week", overall, weeks, _missed_chart(weeks, "by week")),
        Section(
            "By therapy",
            f"Most missed: {worst[0]} ({worst[6] or 0:.1f} %)." if worst else "No sessions.",
            therapies,
            _missed_chart(therapies, "by therapy", horizontal=True),
        ),
        Section(
            "By weekday",
            f"Most missed on {worst_day[0]} ({worst_day[6] or 0:.1f} %)."
            if worst_day
            else "No sessions.",
            weekdays,
            _missed_chart(weekdays, "by weekday"),
            note="Missed % = (no-shows + late cancellations) ÷ (sessions − earlier "
            "cancellations). Late: cancelled less than 24 hours before the start.",
        ),
    ]
