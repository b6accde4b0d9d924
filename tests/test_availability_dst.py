"""The availability engine on daylight-saving days (America/New_York, 2026)."""

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
SPRING_FORWARD = date(2026, 3, 8)  # 02:00 EST -> 03:00 EDT
FALL_BACK = date(2026, 11, 1)  # 02:00 EDT -> 01:00 EST


def wall(day: date, hhmm: str, fold: int = 0) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m, fold=fold), TZ)


def day_of(day: date, opens: str, closes: str, last_start: str) -> ClinicDay:
    o, c = wall(day, opens), wall(day, closes)
    return ClinicDay(
        day=day,
        opens=o,
        closes=c,
        last_start=wall(day, last_start),
        capacity=(CapacityStep(o, c, 4),),
    )


def options_for(day: ClinicDay, minutes: int, booked=()) -> list:
    request = SlotRequest(minutes=minutes, earliest=day.day, latest=day.day)
    return find_options(
        days=[day],
        chairs=[Chair(1, "Chair 1", "chair")],
        booked=list(booked),
        request=request,
        tz=TZ,
        limit=500,
        ranking="first_fit",
    )


def real_duration(option) -> timedelta:
    # Subtracting two datetimes of one tzinfo compares wall clocks; compare instants instead.
    return option.end.astimezone(UTC) - option.start.astimezone(UTC)


def labels(options) -> list[str]:
    return [o.start.astimezone(TZ).strftime("%H:%M %Z") for o in options]


def test_spring_forward_skips_the_missing_hour_and_keeps_real_durations():
    # An overnight unit open 00:00-06:00 local: only five real hours that night.
    day = day_of(SPRING_FORWARD, "00:00", "06:00", "05:00")

    options = options_for(day, 120)

    starts = labels(options)
    assert starts[:8] == [
        "00:00 EST",
        "00:15 EST",
        "00:30 EST",
        "00:45 EST",
        "01:00 EST",
        "01:15 EST",
        "01:30 EST",
        "01:45 EST",
    ]
    assert "03:00 EDT" in starts
    assert not [s for s in starts if s.startswith("02:")]
    one_am = options[4]
    # Two real hours from 01:00 EST is 04:00 EDT on the wall clock.
    assert one_am.end.astimezone(TZ).strftime("%H:%M %Z") == "04:00 EDT"
    assert real_duration(one_am) == timedelta(hours=2)
    # Last start is capped by closing: 06:00 EDT minus two real hours.
    assert starts[-1] == "04:00 EDT"


def test_fall_back_offers_both_one_oclocks_and_keeps_real_durations():
    day = day_of(FALL_BACK, "00:00", "06:00", "05:00")

    options = options_for(day, 120)

    starts = labels(options)
    assert starts.count("01:00 EDT") == 1
    assert starts.count("01:00 EST") == 1
    half_past = options[2]
    assert labels([half_past]) == ["00:30 EDT"]
    assert half_past.end.astimezone(TZ).strftime("%H:%M %Z") == "01:30 EST"
    assert real_duration(half_past) == timedelta(hours=2)
    # 7 real hours that night: 00:00 EDT to 06:00 EST; last start 04:00 EST.
    assert starts[-1] == "04:00 EST"
    assert len(starts) == (7 * 60 - 120) // 15 + 1


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
def test_daytime_hours_on_a_dst_day_follow_the_wall_clock(day):
    clinic = day_of(day, "07:30", "18:00", "17:00")

    options = options_for(clinic, 60)

    assert labels(options)[0][:5] == "07:30"
    assert labels(options)[-1][:5] == "17:00"
    assert all(o.day == day for o in options)


def test_a_session_across_the_fall_back_hour_blocks_the_right_instants():
    day = day_of(FALL_BACK, "00:00", "06:00", "05:00")
    # Booked 01:00 EDT to 01:00 EST: one real hour, the same wall-clock reading.
    busy = Booked(1, wall(FALL_BACK, "01:00"), wall(FALL_BACK, "01:00", fold=1))
    assert real_duration(busy) == timedelta(hours=1)

    starts = labels(options_for(day, 60, [busy]))

    assert "00:00 EDT" in starts
    assert "00:15 EDT" not in starts
    assert "01:45 EDT" not in starts
    assert "01:00 EST" in starts
