"""Booking a whole course is all or nothing; moves stay inside the dose window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.booking import BookingError, course_book, session_book, session_move
from scheduling.models import Session
from scheduling.planning import Choice, course_plans
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def test_a_conflict_on_dose_2_leaves_dose_1_unbooked():
    chairs = clinic_week(chairs=1)
    other = ready_course()
    dose2_day = MONDAY + timedelta(days=14)
    session_book(
        dose=other.doses.get(sequence=1), chair=chairs[0], start=at(dose2_day, "09:00"), now=NOW
    )
    course = ready_course()
    d1, d2 = course.doses.order_by("sequence")[:2]
    with pytest.raises(BookingError, match="just taken"):
        course_book(
            choices=[
                Choice(d1, chairs[0], at(MONDAY, "09:00")),
                Choice(d2, chairs[0], at(dose2_day, "09:00")),
            ],
            now=NOW,
        )
    assert not Session.objects.filter(course=course).exists()
    d2.refresh_from_db()
    assert d2.target == MONDAY + timedelta(days=14)  # the re-plan was rolled back too


def test_the_engine_plan_for_ocrelizumab_loading_books_both_doses_at_one_time():
    chairs = clinic_week(chairs=3, nurses=1)
    course = ready_course()
    loading = list(course.doses.select_related("step", "course").order_by("sequence")[:2])
    plans = course_plans(doses=loading, now=NOW)
    assert plans
    sessions = course_book(choices=plans[0], now=NOW)
    assert [s.dose.sequence for s in sessions] == [1, 2]
    first, second = (s.start.astimezone(NY) for s in sessions)
    assert second.date() - first.date() >= timedelta(days=14)
    assert second.time() == first.time()
    assert {s.chair for s in sessions} <= set(chairs)


def test_lemtrada_books_five_consecutive_days_in_one_chair():
    clinic_week(chairs=2, nurses=1, weekdays=range(7))
    course = ready_course("alemtuzumab")
    block = list(course.doses.select_related("step", "course").order_by("sequence")[:5])
    (plan, *_) = course_plans(doses=block, now=NOW)
    sessions = course_book(choices=plan, now=NOW)
    days = [s.start.astimezone(NY).date() for s in sessions]
    assert days == [days[0] + timedelta(days=i) for i in range(5)]
    assert len({s.chair_id for s in sessions}) == 1


def test_rescheduling_outside_the_window_is_refused():
    chairs = clinic_week(chairs=1)
    course = ready_course()
    d1, d2 = course.doses.order_by("sequence")[:2]
    session_book(dose=d1, chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    second = session_book(
        dose=d2, chair=chairs[0], start=at(MONDAY + timedelta(14), "09:00"), now=NOW
    )
    with pytest.raises(BookingError, match="outside this dose's window"):
        session_move(
            session=second, chair=chairs[0], start=at(MONDAY + timedelta(days=21), "09:00"), now=NOW
        )
    moved = session_move(
        session=second, chair=chairs[0], start=at(MONDAY + timedelta(days=16), "10:00"), now=NOW
    )
    assert moved.start == at(MONDAY + timedelta(days=16), "10:00")


def test_the_minimum_gap_counts_from_the_previous_dose_as_given():
    chairs = clinic_week(chairs=1, weekdays=range(7))
    course = ready_course("natalizumab")
    d1, d2 = course.doses.order_by("sequence")[:2]
    session_book(dose=d1, chair=chairs[0], start=at(MONDAY + timedelta(days=7), "09:00"), now=NOW)
    d2.refresh_from_db()
    # The window follows the late first dose, and the 21-day gap is enforced inside it.
    with pytest.raises(BookingError, match="outside"):
        session_book(
            dose=d2, chair=chairs[0], start=at(MONDAY + timedelta(days=27), "09:00"), now=NOW
        )
    session_book(dose=d2, chair=chairs[0], start=at(MONDAY + timedelta(days=28), "09:00"), now=NOW)
