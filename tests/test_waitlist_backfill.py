"""A freed chair time is offered to waitlisted patients by the worker, in order of need."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from scheduling.backfill import backfill_run, offers_expire
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistEntry, WaitlistOffer
from scheduling.waitlist import Outcome, offer_accept, waitlist_join
from scheduling.workflow import session_no_show
from tests.factories import PatientFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 9, 0, tzinfo=NY)


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)


def booked(chair, day: date, hhmm: str, **course_kwargs) -> Session:
    course = ready_course(
        patient=PatientFactory(email=f"p{Session.objects.count()}@example.test"), **course_kwargs
    )
    return session_book(
        dose=course.doses.get(sequence=1), chair=chair, start=at(day, hhmm), now=NOW, notify=False
    )


def run(session: Session, now: datetime = NOW) -> str:
    return backfill_run(session.chair_id, session.start.isoformat(), session.end.isoformat(), now)


def test_a_cancelled_time_is_offered_to_a_waitlisted_dose_booked_later(settings):
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")
    later = booked(chairs[0], date(2027, 1, 12), "09:00")
    waitlist_join(dose=later.dose, notice_hours=24)
    session_cancel(session=freed, reason="Patient unwell", now=NOW)
    assert run(freed) == "1 offer(s) made"
    offer = WaitlistOffer.objects.get()
    assert offer.entry.dose == later.dose
    assert offer.start == freed.start
    assert offer.expires_at == NOW + timedelta(hours=settings.WAITLIST_OFFER_HOURS)


def test_nobody_is_offered_a_time_inside_their_notice_or_outside_their_window():
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")
    short_notice = booked(chairs[0], date(2027, 1, 12), "09:00")
    waitlist_join(dose=short_notice.dose, notice_hours=72)  # Jan 5 is 4 days away: fine
    outside = booked(chairs[0], date(2027, 1, 19), "09:00", start_after=date(2027, 1, 11))
    waitlist_join(dose=outside.dose)  # its window opens on Jan 11
    session_cancel(session=freed, reason="x", now=NOW)
    late_now = at(date(2027, 1, 3), "10:00")  # under 72 hours before Jan 5, 09:00
    assert run(freed, late_now) == "0 offer(s) made"
    assert run(freed, NOW) == "1 offer(s) made"
    assert WaitlistOffer.objects.get().entry.dose == short_notice.dose


def test_the_overdue_and_nearest_window_end_come_first_then_the_longest_waiting(settings):
    settings.WAITLIST_OFFER_BATCH = 1
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")
    waited_longest = booked(chairs[0], date(2027, 1, 20), "09:00")
    nearer_end = booked(chairs[0], date(2027, 1, 13), "09:00", start_after=date(2026, 12, 20))
    waitlist_join(dose=waited_longest.dose)
    waitlist_join(dose=nearer_end.dose)
    session_cancel(session=freed, reason="x", now=NOW)
    run(freed)
    assert WaitlistOffer.objects.get().entry.dose == nearer_end.dose


def test_paused_entries_and_patients_own_limits_are_respected():
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")  # a Tuesday morning
    afternoons = booked(chairs[0], date(2027, 1, 12), "09:00")
    mondays = booked(chairs[0], date(2027, 1, 13), "09:00")
    waitlist_join(dose=afternoons.dose, part_of_day="afternoon")
    waitlist_join(dose=mondays.dose, weekdays=[0])
    session_cancel(session=freed, reason="x", now=NOW)
    assert run(freed) == "0 offer(s) made"


def test_an_expired_offer_cannot_be_accepted_and_the_time_goes_to_the_next(settings):
    settings.WAITLIST_OFFER_BATCH = 1
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")
    first = booked(chairs[0], date(2027, 1, 12), "09:00")
    second = booked(chairs[0], date(2027, 1, 13), "09:00")
    waitlist_join(dose=first.dose)
    waitlist_join(dose=second.dose)
    session_cancel(session=freed, reason="x", now=NOW)
    run(freed)
    offer = WaitlistOffer.objects.get()
    later = NOW + timedelta(hours=5)
    assert offers_expire(now=later) == "1 offer(s) expired"
    assert offer_accept(offer=offer, now=later) == Outcome.EXPIRED
    first.refresh_from_db()
    assert first.start == at(date(2027, 1, 12), "09:00")
    again = WaitlistOffer.objects.exclude(pk=offer.pk).get()
    assert again.entry.dose == second.dose


def test_the_offer_is_emailed_with_a_link_and_no_health_details(django_capture_on_commit_callbacks):
    chairs = clinic_week(chairs=1)
    freed = booked(chairs[0], date(2027, 1, 5), "09:00")
    later = booked(chairs[0], date(2027, 1, 12), "09:00")
    waitlist_join(dose=later.dose)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=freed, reason="x", now=NOW)
    offer = WaitlistOffer.objects.get()
    (email,) = mail.outbox
    assert email.to == [later.course.patient.email]
    assert "https://chairside.test/my/" in email.body
    assert "Ocrelizumab" not in email.body and "mg" not in email.body
    assert offer.status == WaitlistOffer.Status.OPEN


def test_a_no_show_release_queues_a_backfill(django_capture_on_commit_callbacks, monkeypatch):
    chairs = clinic_week(chairs=1)
    session = booked(chairs[0], date(2027, 1, 5), "09:00")
    queued = []
    monkeypatch.setattr(
        "scheduling.backfill.task_enqueue", lambda func, *args: queued.append((func, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        session_no_show(session=session)
    assert queued == [
        (
            "scheduling.backfill.backfill_run",
            (session.chair_id, session.start.isoformat(), session.end.isoformat()),
        )
    ]


def test_cascade_a_cancels_b_takes_it_and_b_old_time_goes_to_c(
    settings, django_capture_on_commit_callbacks
):
    """A cancels; the worker offers A's time to B; B accepts, which frees B's old time; the
    worker offers that to C; C accepts. Tasks run inline here, as the worker runs them."""
    settings.WAITLIST_OFFER_BATCH = 1
    chairs = clinic_week(chairs=1)
    a = booked(chairs[0], date(2027, 1, 5), "09:00")
    b = booked(chairs[0], date(2027, 1, 12), "09:00")
    c = booked(chairs[0], date(2027, 1, 19), "09:00")
    waitlist_join(dose=b.dose)
    waitlist_join(dose=c.dose)
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=a, reason="Patient: travelling", now=NOW)
    to_b = WaitlistOffer.objects.get()
    assert to_b.entry.dose == b.dose and to_b.start == a.start
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_accept(offer=to_b) == Outcome.ACCEPTED
    b.refresh_from_db()
    assert b.start == a.start
    to_c = WaitlistOffer.objects.exclude(pk=to_b.pk).get()
    assert to_c.entry.dose == c.dose
    assert to_c.start == at(date(2027, 1, 12), "09:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert offer_accept(offer=to_c) == Outcome.ACCEPTED
    c.refresh_from_db()
    assert c.start == at(date(2027, 1, 12), "09:00")
    assert WaitlistEntry.objects.filter(status="fulfilled").count() == 2
