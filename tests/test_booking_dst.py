"""Sessions that cross a daylight-saving change keep their real chair time.

Python adds a timedelta to a clinic-local datetime on the wall clock, so these tests use a
night clinic whose hours span the 2026-11-01 fall-back (01:00-02:00 happens twice in New
York) and the 2027-03-14 spring-forward (02:00-03:00 never happens).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinic.clock import instant_after
from scheduling.board import board_build
from scheduling.booking import session_book, session_move
from scheduling.models import Session
from tests.factories import clinic_week, ready_course

NY = ZoneInfo("America/New_York")
FALL_BACK = date(2026, 11, 1)  # a Sunday
SPRING_FORWARD = date(2027, 3, 14)  # a Sunday


def at(day: date, hhmm: str, fold: int = 0) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY).replace(fold=fold)


def real_length(session: Session) -> timedelta:
    session.refresh_from_db()
    return session.end.astimezone(UTC) - session.start.astimezone(UTC)


def night_clinic() -> list:
    return clinic_week(chairs=2, opens="00:00", closes="08:00", last_start="06:00", weekdays=[6])


def test_instant_after_counts_real_minutes_across_fall_back():
    end = instant_after(at(FALL_BACK, "00:30"), 240)
    assert end.astimezone(NY) == at(FALL_BACK, "03:30")
    assert end - at(FALL_BACK, "00:30").astimezone(UTC) == timedelta(minutes=240)


def test_instant_after_counts_real_minutes_across_spring_forward():
    end = instant_after(at(SPRING_FORWARD, "00:30"), 240)
    assert end.astimezone(NY) == at(SPRING_FORWARD, "05:30")


def test_instant_after_is_plain_addition_on_an_ordinary_day():
    start = at(date(2027, 1, 4), "08:00")
    assert instant_after(start, 90) == start + timedelta(minutes=90)


@pytest.mark.django_db
def test_a_session_across_fall_back_lasts_its_chair_time():
    chairs = night_clinic()
    course = ready_course(start_after=FALL_BACK)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=at(FALL_BACK, "00:30"),
        now=at(FALL_BACK, "00:00") - timedelta(days=3),
    )
    assert real_length(session) == timedelta(minutes=course.doses.get(sequence=1).minutes)


@pytest.mark.django_db
def test_a_session_across_spring_forward_lasts_its_chair_time():
    chairs = night_clinic()
    course = ready_course(start_after=SPRING_FORWARD)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=at(SPRING_FORWARD, "00:30"),
        now=at(SPRING_FORWARD, "00:00") - timedelta(days=3),
    )
    assert real_length(session) == timedelta(minutes=course.doses.get(sequence=1).minutes)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", [NY, UTC], ids=["given-in-clinic-time", "given-in-utc"])
def test_a_session_can_start_in_the_second_run_of_the_repeated_hour(zone):
    chairs = night_clinic()
    course = ready_course(start_after=FALL_BACK)
    # 06:30 UTC, an hour after the first 01:30. An aware time inside the repeated hour never
    # compares equal to one in another zone (PEP 495), so the check must compare in UTC.
    second = at(FALL_BACK, "01:30", fold=1).astimezone(zone)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=second,
        now=at(FALL_BACK, "00:00") - timedelta(days=3),
    )
    session.refresh_from_db()
    assert session.start == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert real_length(session) == timedelta(minutes=course.doses.get(sequence=1).minutes)


@pytest.mark.django_db
def test_a_moved_session_across_fall_back_keeps_its_chair_time():
    chairs = night_clinic()
    course = ready_course(start_after=FALL_BACK)
    now = at(FALL_BACK, "00:00") - timedelta(days=3)
    session = session_book(
        dose=course.doses.get(sequence=1), chair=chairs[0], start=at(FALL_BACK, "04:00"), now=now
    )
    moved = session_move(session=session, chair=chairs[1], start=at(FALL_BACK, "00:15"), now=now)
    assert real_length(moved) == timedelta(minutes=course.doses.get(sequence=1).minutes)


@pytest.mark.django_db
def test_the_board_of_a_fall_back_night_has_a_slot_for_every_real_quarter_hour():
    night_clinic()
    board = board_build(FALL_BACK)
    # 00:00 to 08:00 on the wall clock is nine real hours that night.
    assert board.slots == 36
    labels = [cell.at for cell in board.load]
    assert labels[4:12] == ["01:00", "01:15", "01:30", "01:45"] * 2
    assert labels[-1] == "07:45"
