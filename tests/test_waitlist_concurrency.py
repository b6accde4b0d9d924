"""On PostgreSQL, two patients accepting the same freed time at once: exactly one gets it."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistOffer
from scheduling.waitlist import Outcome, offer_accept, waitlist_join
from tests.factories import clinic_week, ready_course
from tests.test_booking_concurrency import _race

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def _booked(chair, day: date) -> Session:
    course = ready_course()
    return session_book(
        dose=course.doses.get(sequence=1), chair=chair, start=at(day, "09:00"), now=NOW
    )


@pytest.mark.parametrize("rounds", range(3))
def test_two_patients_accepting_one_time_at_once_exactly_one_wins(rounds):
    chairs = clinic_week(chairs=1, nurses=2)
    freed = _booked(chairs[0], date(2027, 1, 5))
    b = _booked(chairs[0], date(2027, 1, 12))
    c = _booked(chairs[0], date(2027, 1, 13))
    waitlist_join(dose=b.dose)
    waitlist_join(dose=c.dose)
    # The commit queues the backfill; tasks run inline here, as a worker would run them.
    session_cancel(session=freed, reason="Patient: away", now=NOW)
    offers = list(WaitlistOffer.objects.order_by("pk"))
    assert len(offers) == 2 and len({o.slot for o in offers}) == 1
    outcomes: list[Outcome] = []

    def accept(offer: WaitlistOffer):
        return lambda: outcomes.append(offer_accept(offer=offer))

    succeeded, errors = _race([accept(o) for o in offers])
    assert errors == [] and succeeded == 2
    assert sorted(outcomes) == [Outcome.ACCEPTED, Outcome.TAKEN]
    assert Session.objects.active().filter(start=freed.start).count() == 1
    moved = Session.objects.get(start=freed.start, status="booked")
    loser = c if moved.pk == b.pk else b
    before = loser.start
    loser.refresh_from_db()
    assert (loser.start, loser.status) == (before, "booked")
    statuses = sorted(WaitlistOffer.objects.values_list("status", flat=True))
    assert statuses == ["accepted", "taken"]


def test_an_expired_offer_cannot_be_accepted_on_postgresql():
    chairs = clinic_week(chairs=1, nurses=2)
    freed = _booked(chairs[0], date(2027, 1, 5))
    b = _booked(chairs[0], date(2027, 1, 12))
    waitlist_join(dose=b.dose)
    session_cancel(session=freed, reason="Patient: away", now=NOW)
    offer = WaitlistOffer.objects.get()
    assert offer_accept(offer=offer, now=offer.expires_at) == Outcome.EXPIRED
    b.refresh_from_db()
    assert b.start == at(date(2027, 1, 12), "09:00")
