"""The leveling ranking on small days checked by hand (no database)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
CHAIRS = [Chair(i, f"Chair {i}", "chair") for i in (1, 2, 3)]


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), TZ)


def open_day(day: date = MONDAY) -> ClinicDay:
    """Return 08:00-16:00, last start 15:00, nurses for three patients."""
    opens, closes = at(day, "08:00"), at(day, "16:00")
    return ClinicDay(day, opens, closes, at(day, "15:00"), (CapacityStep(opens, closes, 3),))


def hhmm(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%H:%M")


def book_in_turn(
    minutes_in_arrival_order: list[int], ranking: str, chairs: list[Chair] = CHAIRS
) -> list[Booked]:
    """Book each request's top option in turn on one day, as staff would."""
    days = [open_day()]
    booked: list[Booked] = []
    for minutes in minutes_in_arrival_order:
        request = SlotRequest(minutes=minutes, earliest=MONDAY, latest=MONDAY)
        best = find_options(
            days=days, chairs=chairs, booked=booked, request=request, tz=TZ, ranking=ranking
        )[0]
        booked.append(Booked(best.chair_id, best.start, best.end))
    return booked


def peak(booked: list[Booked]) -> int:
    edges = sorted([(b.start, 1) for b in booked] + [(b.end, -1) for b in booked])
    level = top = 0
    for _, step in edges:
        level += step
        top = max(top, level)
    return top


def test_leveling_puts_the_long_infusion_early_and_lowers_the_peak():
    # Two chairs; two 1-hour requests arrive before one 4-hour request.
    arrivals = [60, 60, 240]

    first_fit = book_in_turn(arrivals, "first_fit", CHAIRS[:2])
    leveled = book_in_turn(arrivals, "level", CHAIRS[:2])

    # First-fit: both short ones at 08:00, so the long one is squeezed to 09:00; peak 2.
    assert [hhmm(b.start) for b in first_fit] == ["08:00", "08:00", "09:00"]
    assert peak(first_fit) == 2
    # Leveled: short ones go where a 4-hour session could no longer start (from 13:15 on a
    # day closing at 16:00), one after the other; the long one starts at opening; peak 1.
    assert [hhmm(b.start) for b in leveled] == ["13:15", "14:15", "08:00"]
    assert peak(leveled) == 1


def test_short_infusions_fill_the_morning_only_when_the_afternoon_is_taken():
    arrivals = [60, 60, 60, 240]

    leveled = book_in_turn(arrivals, "level")

    # The third short one no longer fits the afternoon without two patients at once.
    assert [hhmm(b.start) for b in leveled] == ["13:15", "14:15", "08:00", "09:00"]
    assert peak(leveled) == 1


def test_a_long_infusion_on_an_empty_day_starts_at_opening():
    request = SlotRequest(minutes=300, earliest=MONDAY, latest=MONDAY)

    best = find_options(days=[open_day()], chairs=CHAIRS, booked=[], request=request, tz=TZ)[0]

    assert hhmm(best.start) == "08:00"


def test_a_short_infusion_fills_a_gap_rather_than_raise_the_peak():
    # Two chairs busy 08:00-12:00, one chair busy 12:00-16:00: concurrency 2 then 1.
    booked = [
        Booked(1, at(MONDAY, "08:00"), at(MONDAY, "12:00")),
        Booked(2, at(MONDAY, "08:00"), at(MONDAY, "12:00")),
        Booked(3, at(MONDAY, "12:00"), at(MONDAY, "16:00")),
    ]
    request = SlotRequest(minutes=60, earliest=MONDAY, latest=MONDAY)

    options = find_options(days=[open_day()], chairs=CHAIRS, booked=booked, request=request, tz=TZ)

    assert all(hhmm(o.start) >= "12:00" for o in options)
    assert {o.peak for o in options} == {2}


def test_leveling_spreads_load_to_a_quieter_day_before_raising_a_peak():
    tuesday = MONDAY + timedelta(1)
    booked = [
        Booked(1, at(MONDAY, "08:00"), at(MONDAY, "10:00")),
        Booked(2, at(MONDAY, "08:00"), at(MONDAY, "10:00")),
    ]
    request = SlotRequest(minutes=120, earliest=MONDAY, latest=tuesday)

    level = find_options(
        days=[open_day(), open_day(tuesday)], chairs=CHAIRS, booked=booked, request=request, tz=TZ
    )
    first_fit = find_options(
        days=[open_day(), open_day(tuesday)],
        chairs=CHAIRS,
        booked=booked,
        request=request,
        tz=TZ,
        ranking="first_fit",
    )

    # Any Monday start keeps Monday's peak at 2; Tuesday's resulting peak is only 1.
    assert (level[0].day, level[0].peak) == (tuesday, 1)
    assert (first_fit[0].day, hhmm(first_fit[0].start)) == (MONDAY, "08:00")


def test_the_tightest_fitting_chair_is_chosen():
    # Chair 2's session ends exactly where the new one starts; chair 3 is empty all day.
    booked = [
        Booked(1, at(MONDAY, "08:00"), at(MONDAY, "16:00")),
        Booked(2, at(MONDAY, "08:00"), at(MONDAY, "12:00")),
    ]
    request = SlotRequest(minutes=240, earliest=MONDAY, latest=MONDAY)

    options = find_options(days=[open_day()], chairs=CHAIRS, booked=booked, request=request, tz=TZ)

    assert (hhmm(options[0].start), options[0].chair_id) == ("12:00", 2)
