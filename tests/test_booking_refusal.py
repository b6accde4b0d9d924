"""A refused slot offers the next free times, looked up after the day locks are released."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from scheduling import booking
from scheduling.booking import BookingError, session_book
from tests.factories import clinic_week, ready_course

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
MONDAY = date(2027, 1, 4)
TEN_THIRTY = datetime.combine(MONDAY, time(10, 30), tzinfo=NY)


@pytest.mark.django_db(transaction=True)
def test_the_next_free_times_are_searched_outside_the_booking_transaction(monkeypatch):
    chairs = clinic_week(chairs=2)
    session_book(
        dose=ready_course().doses.get(sequence=1), chair=chairs[0], start=TEN_THIRTY, now=NOW
    )
    searched_inside_transaction = []
    original = booking.dose_options

    def spy(**kwargs):
        searched_inside_transaction.append(connection.in_atomic_block)
        return original(**kwargs)

    monkeypatch.setattr(booking, "dose_options", spy)
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
