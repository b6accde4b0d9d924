"""A refused slot offers the next free times, looked up after the day locks are released."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from scheduling import booking, planning
from scheduling.booking import BookingError, session_book
from tests.factories import clinic_week, ready_course

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)
TEN_THIRTY = datetime.combine(MONDAY, time(10, 30), tzinfo=NY)


# Outside any test transaction, so "in an atomic block" means the booking's own one; the
# serialized rollback brings back the therapy catalogue that the flush would remove.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_next_free_times_are_searched_outside_the_booking_transaction(monkeypatch):
    chairs = clinic_week(chairs=2)
    session_book(
        dose=ready_course().doses.get(sequence=1), chair=chairs[0], start=TEN_THIRTY, now=NOW
    )
    searched_inside_transaction = []
    original = planning.next_free

    def spy(*args, **kwargs):
        searched_inside_transaction.append(connection.in_atomic_block)
        return original(*args, **kwargs)

    monkeypatch.setattr(planning, "next_free", spy)
    with pytest.raises(BookingError) as refused:
        session_book(
            dose=ready_course().doses.get(sequence=1), chair=chairs[0], start=TEN_THIRTY, now=NOW
        )
    assert searched_inside_transaction == [False]
    assert refused.value.options
    assert all(o.start >= TEN_THIRTY for o in refused.value.options)
    assert str(refused.value) == "Chair 1 was just taken at 10:30; here are the next free times."


@pytest.mark.django_db
def test_a_chair_that_does_not_exist_is_refused_cleanly():
    clinic_week(chairs=1)
    ghost = booking.Chair(pk=999, name="Chair 99")
    with pytest.raises(BookingError, match="does not exist"):
        session_book(
            dose=ready_course().doses.get(sequence=1), chair=ghost, start=TEN_THIRTY, now=NOW
        )


@pytest.mark.django_db
def test_the_next_free_times_reach_past_the_first_days_searched_when_those_are_full():
    (chair,) = clinic_week(chairs=1)
    filler = ready_course(start_after=MONDAY)
    for offset in range(planning.NEXT_FREE_FIRST_DAYS):  # Monday to Wednesday, all day
        day = date(2027, 1, 4 + offset)
        booking.Session.objects.create(
            course=filler,
            dose=filler.doses.get(sequence=1 + offset),
            chair=chair,
            start=datetime.combine(day, time(7, 30), tzinfo=NY),
            end=datetime.combine(day, time(18), tzinfo=NY),
        )
    course = ready_course(start_after=MONDAY)
    with pytest.raises(BookingError) as refused:
        session_book(dose=course.doses.get(sequence=1), chair=chair, start=TEN_THIRTY, now=NOW)
    assert len(refused.value.options) == 3
    assert {o.day for o in refused.value.options} == {date(2027, 1, 7)}
