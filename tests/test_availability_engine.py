"""The pure availability engine on single sessions (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import (
    Booked,
    CapacityStep,
    Chair,
    ClinicDay,
    SlotRequest,
    find_options,
)

TZ = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)


def at(day: date, hhmm: str, fold: int = 0) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m, fold=fold), TZ)


def clinic_day(
    day: date,
    opens: str = "08:00",
    closes: str = "16:00",
    last_start: str = "15:00",
    patients: int = 12,
    steps: tuple[tuple[str, str, int], ...] = (),
) -> ClinicDay:
    capacity = tuple(CapacityStep(at(day, a), at(day, b), n) for a, b, n in steps) or (
        CapacityStep(at(day, opens), at(day, closes), patients),
    )
    return ClinicDay(
        day=day,
        opens=at(day, opens),
        closes=at(day, closes),
        last_start=at(day, last_start),
        capacity=capacity,
    )


def chairs(n: int = 3, beds: int = 0) -> list[Chair]:
    return [Chair(i, f"Chair {i}", "bed" if i > n - beds else "chair") for i in range(1, n + 1)]


def session(chair_id: int, day: date, start: str, end: str) -> Booked:
    return Booked(chair_id=chair_id, start=at(day, start), end=at(day, end))


def local(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%H:%M")


def all_starts(days, chair_list, booked, minutes, **kwargs) -> list[str]:
    request = SlotRequest(minutes=minutes, earliest=days[0].day, latest=days[-1].day, **kwargs)
    options = find_options(
        days=days,
        chairs=chair_list,
        booked=booked,
        request=request,
        tz=TZ,
        limit=500,
        ranking="first_fit",
    )
    return [local(o.start) for o in options]


@pytest.mark.parametrize(
    ("opens", "closes", "last_start", "minutes", "first", "last"),
    [
        ("08:00", "16:00", "15:00", 60, "08:00", "15:00"),
        # A session must end by closing even when the last-start rule would allow more.
        ("08:00", "16:00", "15:00", 240, "08:00", "12:00"),
        # The grid is the local quarter hour, so opening at 07:40 offers 07:45 first.
        ("07:40", "16:00", "15:00", 60, "07:45", "15:00"),
        # No start after the last start, even if the session would end by closing.
        ("08:00", "18:00", "14:30", 60, "08:00", "14:30"),
    ],
)
def test_options_start_on_the_grid_inside_opening_hours(
    opens, closes, last_start, minutes, first, last
):
    days = [clinic_day(MONDAY, opens, closes, last_start)]

    starts = all_starts(days, chairs(1), [], minutes)

    assert starts[0] == first
    assert starts[-1] == last
    assert all(int(s[3:]) % 15 == 0 for s in starts)


def test_a_session_longer_than_the_day_gets_no_options():
    assert all_starts([clinic_day(MONDAY)], chairs(1), [], 9 * 60) == []


def test_closed_days_are_never_offered():
    # Monday and Wednesday open; Tuesday is a holiday (absent).
    days = [clinic_day(MONDAY), clinic_day(MONDAY + timedelta(2))]
    request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY + timedelta(2))

    options = find_options(
        days=days, chairs=chairs(1), booked=[], request=request, tz=TZ, limit=100
    )

    assert {o.day for o in options} == {MONDAY, MONDAY + timedelta(2)}
    only_tuesday = SlotRequest(
        minutes=60, earliest=MONDAY + timedelta(1), latest=MONDAY + timedelta(1)
    )
    assert find_options(days=days, chairs=chairs(1), booked=[], request=only_tuesday, tz=TZ) == []


def test_a_booked_chair_is_not_offered_for_overlapping_times_but_is_right_after():
    days = [clinic_day(MONDAY)]
    booked = [session(1, MONDAY, "10:00", "12:00")]

    starts = all_starts(days, chairs(1), booked, 60)

    assert "09:00" in starts
    assert not {"09:15", "10:00", "11:45"} & set(starts)
    # Half-open intervals: the chair is free again at the minute the session ends.
    assert "12:00" in starts


def test_a_session_off_the_grid_blocks_every_start_it_overlaps():
    booked = [session(1, MONDAY, "10:07", "11:07")]

    starts = all_starts([clinic_day(MONDAY)], chairs(1), booked, 60)

    assert "09:00" in starts
    assert "09:15" not in starts
    assert "11:00" not in starts
    assert "11:15" in starts


def test_chair_kinds_limit_which_chairs_are_offered():
    days = [clinic_day(MONDAY)]
    request = SlotRequest(
        minutes=60, earliest=MONDAY, latest=MONDAY, chair_kinds=frozenset({"bed"})
    )

    options = find_options(days=days, chairs=chairs(3, beds=1), booked=[], request=request, tz=TZ)

    assert options
    assert {o.chair_id for o in options} == {3}


def test_no_bed_free_means_no_option_for_a_bed_request_even_with_chairs_free():
    days = [clinic_day(MONDAY)]
    booked = [session(3, MONDAY, "08:00", "16:00")]
    request = SlotRequest(
        minutes=60, earliest=MONDAY, latest=MONDAY, chair_kinds=frozenset({"bed"})
    )

    options = find_options(
        days=days, chairs=chairs(3, beds=1), booked=booked, request=request, tz=TZ
    )

    assert options == []


def test_any_kind_requests_keep_beds_for_those_who_need_them():
    request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY)

    options = find_options(
        days=[clinic_day(MONDAY)], chairs=chairs(3, beds=2), booked=[], request=request, tz=TZ
    )

    assert {o.chair_id for o in options} == {1}


def test_nurse_capacity_caps_concurrency_at_noon():
    # Three chairs, but over lunch the nurses on duty can watch only two patients.
    day = clinic_day(
        MONDAY,
        steps=(("08:00", "11:00", 3), ("11:00", "13:00", 2), ("13:00", "16:00", 3)),
    )
    booked = [session(1, MONDAY, "11:30", "12:30"), session(2, MONDAY, "11:30", "12:30")]

    starts = all_starts([day], chairs(3), booked, 60)

    # Chair 3 is free all day; a third patient at 11:30-12:30 would break the cap.
    assert {"10:30", "12:30"} <= set(starts)
    assert not {s for s in starts if "10:30" < s < "12:30"}


def test_capacity_is_zero_outside_every_step():
    day = clinic_day(MONDAY, steps=(("09:00", "12:00", 4),))

    starts = all_starts([day], chairs(2), [], 60)

    assert starts[0] == "09:00"
    assert starts[-1] == "11:00"


def test_overlapping_capacity_steps_add_up_like_nurse_shifts():
    day = clinic_day(MONDAY, steps=(("08:00", "16:00", 1), ("10:00", "14:00", 1)))
    booked = [session(1, MONDAY, "08:00", "16:00")]

    starts = all_starts([day], chairs(2), booked, 60)

    assert starts == [
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
        "11:15",
        "11:30",
        "11:45",
        "12:00",
        "12:15",
        "12:30",
        "12:45",
        "13:00",
    ]


def test_sessions_on_chairs_not_offered_still_count_against_capacity():
    # Chair 9 is inactive (not passed) but its session still needs a nurse.
    day = clinic_day(MONDAY, patients=1)
    booked = [session(9, MONDAY, "08:00", "12:00")]

    starts = all_starts([day], chairs(2), booked, 60)

    assert starts[0] == "12:00"


def test_concurrency_never_exceeds_the_number_of_chairs():
    # Plenty of nurses, one chair, and a session on a chair that is not offered.
    booked = [session(7, MONDAY, "08:00", "10:00")]

    starts = all_starts([clinic_day(MONDAY, patients=10)], chairs(1), booked, 60)

    assert starts[0] == "10:00"


def test_part_of_day_preference_ranks_matching_starts_first():
    days = [clinic_day(MONDAY)]
    for part, check in (("morning", lambda s: s < "12:00"), ("afternoon", lambda s: s >= "12:00")):
        request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY, part_of_day=part)
        options = find_options(days=days, chairs=chairs(2), booked=[], request=request, tz=TZ)
        assert len(options) == 10
        assert all(check(local(o.start)) for o in options)


def test_first_fit_returns_the_earliest_start_on_the_lowest_chair():
    booked = [session(1, MONDAY, "08:00", "09:00")]
    request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY + timedelta(1))
    days = [clinic_day(MONDAY), clinic_day(MONDAY + timedelta(1))]

    options = find_options(
        days=days, chairs=chairs(3), booked=booked, request=request, tz=TZ, ranking="first_fit"
    )

    assert (local(options[0].start), options[0].chair_id, options[0].day) == ("08:00", 2, MONDAY)
    assert [local(o.start) for o in options[:3]] == ["08:00", "08:15", "08:30"]


def test_an_option_reports_its_peak_and_the_capacity_left():
    booked = [session(1, MONDAY, "08:00", "12:00"), session(2, MONDAY, "09:00", "10:00")]
    request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY)

    options = find_options(
        days=[clinic_day(MONDAY, patients=4)],
        chairs=chairs(3),
        booked=booked,
        request=request,
        tz=TZ,
        limit=100,
        ranking="first_fit",
    )
    by_start = {local(o.start): o for o in options}

    assert (by_start["09:00"].peak, by_start["09:00"].capacity_left) == (3, 1)
    assert (by_start["13:00"].peak, by_start["13:00"].capacity_left) == (1, 3)
    assert by_start["09:00"].end - by_start["09:00"].start == timedelta(minutes=60)


def test_the_input_time_zone_of_booked_sessions_does_not_matter():
    local_booked = [session(1, MONDAY, "10:00", "12:00")]
    utc_booked = [Booked(1, b.start.astimezone(UTC), b.end.astimezone(UTC)) for b in local_booked]

    assert all_starts([clinic_day(MONDAY)], chairs(1), local_booked, 60) == all_starts(
        [clinic_day(MONDAY)], chairs(1), utc_booked, 60
    )


def test_an_empty_request_window_or_zero_minutes_gives_nothing():
    days = [clinic_day(MONDAY)]
    backwards = SlotRequest(minutes=60, earliest=MONDAY + timedelta(1), latest=MONDAY)
    zero = SlotRequest(minutes=0, earliest=MONDAY, latest=MONDAY)

    assert find_options(days=days, chairs=chairs(1), booked=[], request=backwards, tz=TZ) == []
    assert find_options(days=days, chairs=chairs(1), booked=[], request=zero, tz=TZ) == []
