"""On PostgreSQL, simultaneous bookings never put two patients in one chair or oversell nurses."""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from scheduling.booking import BookingError, session_book, session_move
from scheduling.models import Session
from tests.factories import clinic_week, ready_course

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)
START = datetime.combine(date(2027, 1, 4), time(10, 30), tzinfo=NY)


def _race(jobs: list) -> tuple[int, list[BaseException]]:
    """Run the jobs in threads released at once; return successes and errors."""
    barrier = threading.Barrier(len(jobs))
    successes: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job) -> None:
        try:
            barrier.wait()
            job()
            with lock:
                successes.append(1)
        except BaseException as exc:  # collected and asserted on below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(successes), errors


def test_twenty_bookings_of_one_chair_and_time_let_exactly_one_through():
    chairs = clinic_week(chairs=2, nurses=5)
    doses = [ready_course().doses.get(sequence=1) for _ in range(20)]
    jobs = [
        (lambda d=dose: session_book(dose=d, chair=chairs[0], start=START, now=NOW))
        for dose in doses
    ]
    succeeded, errors = _race(jobs)
    assert succeeded == 1
    assert len(errors) == 19
    assert all(isinstance(e, BookingError) for e in errors), errors
    assert Session.objects.filter(chair=chairs[0]).count() == 1


def test_twenty_bookings_on_different_chairs_stop_at_nurse_capacity():
    chairs = clinic_week(chairs=20, nurses=1)  # one nurse × four patients
    doses = [ready_course().doses.get(sequence=1) for _ in range(20)]
    jobs = [
        (lambda d=dose, c=chair: session_book(dose=d, chair=c, start=START, now=NOW))
        for dose, chair in zip(doses, chairs, strict=True)
    ]
    succeeded, errors = _race(jobs)
    assert succeeded == 4
    assert all(isinstance(e, BookingError) for e in errors), errors
    assert Session.objects.active().count() == 4


def test_the_database_itself_refuses_an_overlapping_session():
    chairs = clinic_week(chairs=1)
    course = ready_course()
    booked = session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=START, now=NOW)
    other = ready_course()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            course=other,
            dose=other.doses.get(sequence=1),
            chair=chairs[0],
            start=booked.start.replace(minute=45),
            end=booked.end,
        )


def test_a_booking_and_a_reschedule_racing_for_one_chair_let_one_through():
    chairs = clinic_week(chairs=2, nurses=5)
    moving = session_book(
        dose=ready_course().doses.get(sequence=1),
        chair=chairs[1],
        start=START.replace(hour=8),
        now=NOW,
    )
    newcomers = [ready_course().doses.get(sequence=1) for _ in range(9)]
    jobs = [
        (lambda: session_move(session=moving, chair=chairs[0], start=START, now=NOW)),
        *[
            (lambda d=dose: session_book(dose=d, chair=chairs[0], start=START, now=NOW))
            for dose in newcomers
        ],
    ]
    succeeded, errors = _race(jobs)
    assert succeeded == 1
    assert all(isinstance(e, BookingError) for e in errors), errors
    assert Session.objects.active().filter(chair=chairs[0], start=START).count() == 1
