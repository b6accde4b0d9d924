"""Series plans from the pure engine: windows, gaps, consecutive-day blocks (no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.availability import Booked, CapacityStep, Chair, ClinicDay
from scheduling.series import DoseRequest, plan_series

TZ = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
OCRELIZUMAB_LOADING = [
    DoseRequest(minutes=240, offset_days=0),
    DoseRequest(minutes=240, offset_days=14, window_after=3, min_gap_days=13),
]
LEMTRADA_COURSE_1 = [DoseRequest(minutes=390, offset_days=0, block_days=5)]


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), TZ)


def weekdays(first: date, count: int, closed: frozenset[date] = frozenset()) -> list[ClinicDay]:
    """Return `count` calendar days from `first`, open 08:00-16:00 Mon-Fri unless closed."""
    out = []
    for n in range(count):
        day = first + timedelta(n)
        if day.weekday() < 5 and day not in closed:
            opens, closes = at(day, "08:00"), at(day, "16:00")
            out.append(
                ClinicDay(day, opens, closes, at(day, "15:00"), (CapacityStep(opens, closes, 4),))
            )
    return out


def whole_day(chair_id: int, day: date) -> Booked:
    return Booked(chair_id, at(day, "08:00"), at(day, "16:00"))


def hhmm(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%H:%M")


def plans(doses, *, first_earliest, first_latest, days=None, booked=(), n_chairs=1, limit=3):
    return plan_series(
        days=days or weekdays(MONDAY, 42),
        chairs=[Chair(i, f"Chair {i}", "chair") for i in range(1, n_chairs + 1)],
        booked=list(booked),
        doses=doses,
        first_earliest=first_earliest,
        first_latest=first_latest,
        tz=TZ,
        limit=limit,
    )


def test_the_second_dose_window_follows_the_actual_first_dose_date():
    # Monday and Tuesday are fully booked, so the first dose can only go on Wednesday or later.
    booked = [whole_day(1, MONDAY), whole_day(1, MONDAY + timedelta(1))]

    result = plans(
        OCRELIZUMAB_LOADING,
        first_earliest=MONDAY,
        first_latest=MONDAY + timedelta(4),
        booked=booked,
    )

    assert result
    for plan in result:
        first, second = plan.options
        assert first.day >= MONDAY + timedelta(2)
        assert 14 <= (second.day - first.day).days <= 17


def test_a_closed_target_day_moves_the_dose_inside_its_window():
    wednesday = MONDAY + timedelta(2)
    days = weekdays(MONDAY, 42, closed=frozenset({wednesday + timedelta(14)}))

    result = plans(OCRELIZUMAB_LOADING, first_earliest=wednesday, first_latest=wednesday, days=days)

    assert [o.day for o in result[0].options] == [wednesday, wednesday + timedelta(15)]


def test_the_minimum_gap_is_respected_inside_a_wider_window():
    doses = [
        DoseRequest(minutes=60, offset_days=0),
        DoseRequest(minutes=60, offset_days=7, window_before=5, window_after=3, min_gap_days=6),
    ]

    result = plans(doses, first_earliest=MONDAY, first_latest=MONDAY + timedelta(3))

    assert result
    for plan in result:
        first, second = plan.options
        assert 6 <= (second.day - first.day).days <= 10


def test_no_plan_when_the_minimum_gap_cannot_fit_the_window():
    doses = [
        DoseRequest(minutes=60, offset_days=0),
        DoseRequest(minutes=60, offset_days=7, window_after=0, min_gap_days=8),
    ]

    assert plans(doses, first_earliest=MONDAY, first_latest=MONDAY + timedelta(4)) == []


def test_no_plan_when_a_later_dose_window_is_fully_booked():
    booked = [whole_day(1, MONDAY + timedelta(n)) for n in range(14, 18)]

    assert (
        plans(OCRELIZUMAB_LOADING, first_earliest=MONDAY, first_latest=MONDAY, booked=booked) == []
    )


def test_lemtrada_books_five_consecutive_days_on_one_chair_at_one_time():
    result = plans(LEMTRADA_COURSE_1, first_earliest=MONDAY, first_latest=MONDAY, n_chairs=2)

    options = result[0].options
    assert [o.day for o in options] == [MONDAY + timedelta(n) for n in range(5)]
    assert len({o.chair_id for o in options}) == 1
    assert len({hhmm(o.start) for o in options}) == 1


def test_a_lemtrada_block_never_crosses_a_closed_weekend():
    wednesday = MONDAY + timedelta(2)

    result = plans(
        LEMTRADA_COURSE_1, first_earliest=wednesday, first_latest=wednesday + timedelta(9), limit=5
    )

    # Wed-Fri of week 1 and Tue-Fri of week 2 would run into a weekend: only Monday fits.
    assert result
    assert {plan.options[0].day for plan in result} == {MONDAY + timedelta(7)}


def test_a_block_needs_its_chair_free_on_every_day():
    # Chair 1 is busy all Wednesday; chair 2 is busy until 09:00 on Monday.
    booked = [
        whole_day(1, MONDAY + timedelta(2)),
        Booked(2, at(MONDAY, "08:00"), at(MONDAY, "09:00")),
    ]

    result = plans(
        LEMTRADA_COURSE_1, first_earliest=MONDAY, first_latest=MONDAY, booked=booked, n_chairs=2
    )

    options = result[0].options
    assert {o.chair_id for o in options} == {2}
    assert len({hhmm(o.start) for o in options}) == 1
    assert hhmm(options[0].start) >= "09:00"


def test_later_doses_prefer_the_first_dose_time_of_day():
    # The first dose can only start from 10:00 (the morning is taken), the second day is empty.
    booked = [Booked(1, at(MONDAY, "08:00"), at(MONDAY, "10:00"))]

    result = plans(OCRELIZUMAB_LOADING, first_earliest=MONDAY, first_latest=MONDAY, booked=booked)

    first, second = result[0].options
    assert hhmm(first.start) == "10:00"
    assert hhmm(second.start) == "10:00"


def test_doses_of_one_plan_do_not_overlap_each_other():
    same_day = [DoseRequest(minutes=120, offset_days=0), DoseRequest(minutes=120, offset_days=0)]

    result = plans(same_day, first_earliest=MONDAY, first_latest=MONDAY)

    first, second = result[0].options
    assert first.chair_id == second.chair_id == 1
    assert second.start >= first.end or first.start >= second.end


def test_plans_are_limited_and_start_on_different_days_when_they_can():
    result = plans(OCRELIZUMAB_LOADING, first_earliest=MONDAY, first_latest=MONDAY + timedelta(4))

    assert len(result) == 3
    assert len({plan.options[0].day for plan in result}) == 3
