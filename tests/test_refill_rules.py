"""The backfill's pure rules: who may take a freed time, in which order, and where it fits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import Booked, CapacityStep, Chair, ClinicDay
from scheduling.refill import Candidate, Freed, fit, may_take, rank

NY = ZoneInfo("America/New_York")
DAY = date(2027, 1, 5)
NOW = datetime(2027, 1, 2, 9, 0, tzinfo=NY)


def at(hhmm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def candidate(**kwargs) -> Candidate:
    values = {
        "entry_id": 1,
        "minutes": 120,
        "target": date(2027, 1, 12),
        "earliest": date(2027, 1, 1),
        "latest": date(2027, 1, 19),
        "current_start": at("09:00", date(2027, 1, 12)),
        "notice": timedelta(hours=24),
        "waiting_since": NOW - timedelta(days=3),
    }
    return Candidate(**{**values, **kwargs})


@pytest.mark.parametrize(
    ("changes", "start", "allowed"),
    [
        ({}, at("09:00"), True),
        ({"current_start": at("08:00")}, at("09:00"), False),  # not earlier than booked
        ({"earliest": date(2027, 1, 6)}, at("09:00"), False),  # before the window opens
        ({"notice": timedelta(hours=80)}, at("09:00"), False),  # inside the notice
        ({"part_of_day": "afternoon"}, at("09:00"), False),
        ({"part_of_day": "afternoon"}, at("13:00"), True),
        ({"weekdays": frozenset({0})}, at("09:00"), False),  # Jan 5 2027 is a Tuesday
        ({"weekdays": frozenset({1})}, at("09:00"), True),
    ],
)
def test_a_patient_is_offered_only_what_their_own_limits_allow(changes, start, allowed):
    assert may_take(candidate(**changes), start, now=NOW, tz=NY) is allowed


def test_overdue_first_then_nearest_window_end_then_longest_waiting():
    today = date(2027, 1, 2)
    later_end = candidate(entry_id=1, latest=date(2027, 1, 30))
    sooner_end = candidate(entry_id=2, latest=date(2027, 1, 10))
    overdue = candidate(entry_id=3, target=date(2026, 12, 30), latest=date(2027, 1, 31))
    waited = candidate(entry_id=4, latest=date(2027, 1, 10), waiting_since=NOW - timedelta(days=9))
    order = [c.entry_id for c in rank([later_end, sooner_end, overdue, waited], today)]
    assert order == [3, 4, 2, 1]


def _day(patients: int) -> ClinicDay:
    return ClinicDay(
        DAY,
        at("08:00"),
        at("17:00"),
        at("15:00"),
        (CapacityStep(at("08:00"), at("17:00"), patients),),
    )


def test_it_fits_on_the_freed_chair_with_other_chairs_counted_as_chairs():
    chairs = [Chair(1, "Chair 1", "chair"), Chair(2, "Chair 2", "chair")]
    others = [Booked(2, at("08:00"), at("12:00"))]
    freed = Freed(1, "chair", at("09:00"), at("13:00"))
    option = fit(candidate(), freed, day=_day(4), chairs=chairs, booked=others, now=NOW, tz=NY)
    assert option is not None
    assert (option.chair_id, option.start, option.end) == (1, at("09:00"), at("11:00"))


def test_it_respects_nurse_capacity_and_the_freed_chairs_kind():
    chairs = [Chair(1, "Chair 1", "chair"), Chair(2, "Bed 1", "bed")]
    others = [Booked(2, at("08:00"), at("12:00"))]
    freed = Freed(1, "chair", at("09:00"), at("13:00"))
    # One patient at a time: the nurse is busy with the other chair until 12:00.
    later = fit(candidate(), freed, day=_day(1), chairs=chairs, booked=others, now=NOW, tz=NY)
    assert later is not None and later.start == at("12:00")
    bed_only = candidate(chair_kinds=frozenset({"bed"}))
    assert fit(bed_only, freed, day=_day(4), chairs=chairs, booked=others, now=NOW, tz=NY) is None
