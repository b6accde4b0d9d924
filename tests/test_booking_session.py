"""Booking one dose: the slot must fit hours, a free chair, nurse capacity and the window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.booking import BookingError, session_book, session_cancel
from scheduling.courses import course_override
from scheduling.models import ClosedDate, NurseOverride, Session
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def first_dose(course):
    return course.doses.get(sequence=1)


def test_it_books_a_free_chair_inside_opening_hours():
    chairs = clinic_week(chairs=2)
    course = ready_course()
    session = session_book(
        dose=first_dose(course), chair=chairs[0], start=at(MONDAY, "08:00"), now=NOW
    )
    assert session.end - session.start == timedelta(minutes=240)
    assert session.status == "booked"


def test_it_refuses_a_taken_chair_with_a_human_message_and_next_times():
    chairs = clinic_week(chairs=2)
    session_book(
        dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "10:30"), now=NOW
    )
    with pytest.raises(BookingError) as refused:
        session_book(
            dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "10:30"), now=NOW
        )
    assert str(refused.value) == "Chair 1 was just taken at 10:30; here are the next free times."
    assert refused.value.options
    assert all(o.start >= at(MONDAY, "10:30") for o in refused.value.options)


def test_cancel_frees_the_chair_for_the_next_booking():
    chairs = clinic_week(chairs=1)
    first = session_book(
        dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
    )
    session_cancel(session=first, reason="Patient unwell", now=NOW)
    again = session_book(
        dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
    )
    assert again.status == "booked"
    assert Session.objects.active().count() == 1


def test_it_refuses_a_start_after_the_last_start():
    chairs = clinic_week(chairs=2, last_start="14:00")
    with pytest.raises(BookingError, match="not open"):
        session_book(
            dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "14:15"), now=NOW
        )


def test_it_refuses_a_closed_date():
    chairs = clinic_week(chairs=2)
    ClosedDate.objects.create(day=MONDAY, reason="Holiday")
    with pytest.raises(BookingError, match="not open"):
        session_book(
            dose=first_dose(ready_course()), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW
        )


def test_it_refuses_when_nurse_capacity_is_full():
    chairs = clinic_week(chairs=6, nurses=1)  # one nurse, four patients at a time
    for chair in chairs[:4]:
        session_book(
            dose=first_dose(ready_course()), chair=chair, start=at(MONDAY, "11:00"), now=NOW
        )
    with pytest.raises(BookingError, match="Nurse capacity is full at 11:00"):
        session_book(
            dose=first_dose(ready_course()), chair=chairs[4], start=at(MONDAY, "11:00"), now=NOW
        )


def test_a_date_override_of_nurses_replaces_the_weekday_shifts():
    chairs = clinic_week(chairs=6, nurses=2)
    NurseOverride.objects.create(
        day=MONDAY, starts=time(7, 30), ends=time(18), nurses=1, reason="Sickness"
    )
    for chair in chairs[:4]:
        session_book(
            dose=first_dose(ready_course()), chair=chair, start=at(MONDAY, "09:00"), now=NOW
        )
    with pytest.raises(BookingError, match="Nurse capacity"):
        session_book(
            dose=first_dose(ready_course()), chair=chairs[4], start=at(MONDAY, "09:00"), now=NOW
        )


def test_it_refuses_the_first_dose_before_prerequisites_are_met(clinician):
    chairs = clinic_week(chairs=1)
    course = ready_course()
    course.prerequisites.filter(requirement__code="hbv").update(met=False)
    with pytest.raises(BookingError, match="prerequisites"):
        session_book(dose=first_dose(course), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    course_override(course=course, by=clinician, reason="Result confirmed by phone")
    session_book(dose=first_dose(course), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)


def test_it_refuses_a_date_outside_the_dose_window():
    chairs = clinic_week(chairs=1)
    course = ready_course()
    session_book(dose=first_dose(course), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    dose2 = course.doses.get(sequence=2)
    with pytest.raises(BookingError, match="outside this dose's window"):
        session_book(
            dose=dose2, chair=chairs[0], start=at(MONDAY + timedelta(days=7), "09:00"), now=NOW
        )


def test_a_late_first_dose_moves_the_second_dose_window():
    chairs = clinic_week(chairs=1)
    course = ready_course()
    late = MONDAY + timedelta(days=3)
    session_book(dose=first_dose(course), chair=chairs[0], start=at(late, "09:00"), now=NOW)
    dose2 = course.doses.get(sequence=2)
    assert dose2.target == late + timedelta(days=14)
    session_book(dose=dose2, chair=chairs[0], start=at(late + timedelta(days=14), "09:00"), now=NOW)


def test_it_refuses_a_dose_that_is_already_booked():
    chairs = clinic_week(chairs=2)
    course = ready_course()
    session_book(dose=first_dose(course), chair=chairs[0], start=at(MONDAY, "09:00"), now=NOW)
    with pytest.raises(BookingError, match="already booked"):
        session_book(dose=first_dose(course), chair=chairs[1], start=at(MONDAY, "09:00"), now=NOW)


def test_a_bed_patient_is_refused_a_plain_chair():
    made = clinic_week(chairs=1, beds=1)
    course = ready_course(chair_kind="bed")
    with pytest.raises(BookingError, match="needs a bed"):
        session_book(dose=first_dose(course), chair=made[0], start=at(MONDAY, "09:00"), now=NOW)
    session_book(dose=first_dose(course), chair=made[1], start=at(MONDAY, "09:00"), now=NOW)


def test_booking_creates_the_per_visit_checks():
    chairs = clinic_week(chairs=1)
    session = session_book(
        dose=first_dose(ready_course("natalizumab")),
        chair=chairs[0],
        start=at(MONDAY, "09:00"),
        now=NOW,
    )
    assert [c.requirement.code for c in session.checks.all()] == ["touch_checklist"]


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [(date(2027, 3, 14), 11), (date(2027, 11, 7), 12), (date(2027, 3, 13), 12)],
)
def test_daylight_saving_days_keep_local_wall_clock_times(day, utc_hour):
    chairs = clinic_week(chairs=1, weekdays=range(7))
    course = ready_course("natalizumab", start_after=day)
    session = session_book(
        dose=first_dose(course), chair=chairs[0], start=at(day, "07:30"), now=NOW
    )
    assert session.start.astimezone(ZoneInfo("UTC")).hour == utc_hour
    assert session.start.astimezone(NY).time() == time(7, 30)
    assert session.end - session.start == timedelta(minutes=120)
