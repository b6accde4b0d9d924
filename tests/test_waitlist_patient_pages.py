"""Patients join the waitlist from their manage link and accept an earlier time offered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling.backfill import backfill_run
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistEntry, WaitlistOffer
from scheduling.waitlist import waitlist_join
from tests.factories import PatientFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _day(ahead: int) -> date:
    return timezone.localdate(timezone=NY) + timedelta(days=ahead)


def _book(chair, ahead: int, hhmm: str = "09:00", start_after: int = 2) -> Session:
    course = ready_course(
        "natalizumab",
        start_after=_day(start_after),
        patient=PatientFactory(preferred_language="en"),
    )
    start = datetime.combine(_day(ahead), time.fromisoformat(hhmm), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chair, start=start, notify=False)


def _client(session: Session) -> tuple[Client, str]:
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    url = f"/my/{token}/"
    client = Client()
    assert client.post(url, {"date_of_birth": DOB}).status_code == 302
    return client, url


def _offer_to(session: Session, freed: Session) -> WaitlistOffer:
    session_cancel(session=freed, reason="Patient: away")
    backfill_run(freed.chair_id, freed.start.isoformat(), freed.end.isoformat())
    return WaitlistOffer.objects.get(entry__dose=session.dose, status="open")


def test_a_patient_joins_the_waitlist_with_their_limits_and_can_leave():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    session = _book(chairs[0], 10)
    client, url = _client(session)
    page = client.get(url).content.decode()
    assert "Tell me if an earlier time opens" in page
    form = client.get(f"{url}{session.pk}/waitlist/")
    assert form.status_code == 200
    response = client.post(
        f"{url}{session.pk}/waitlist/",
        {"part_of_day": "morning", "weekdays": ["0", "2"], "notice_hours": "48"},
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(dose=session.dose)
    assert (entry.status, entry.part_of_day, entry.weekdays, entry.notice_hours) == (
        "active",
        "morning",
        "02",
        48,
    )
    assert entry.created_by is None
    assert "You are on the waitlist" in client.get(url).content.decode()
    assert client.post(f"{url}{session.pk}/waitlist/leave/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_a_bad_choice_is_explained_next_to_the_field_and_kept():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    session = _book(chairs[0], 10)
    client, url = _client(session)
    response = client.post(
        f"{url}{session.pk}/waitlist/",
        {"part_of_day": "night", "weekdays": ["2"], "notice_hours": "48"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert 'value="2" id="id_weekdays_2" checked' in html
    assert not WaitlistEntry.objects.exists()


def test_another_patients_session_is_not_found():
    chairs = clinic_week(chairs=2, weekdays=range(7))
    mine = _book(chairs[0], 10)
    theirs = _book(chairs[1], 11)
    client, url = _client(mine)
    assert client.get(f"{url}{theirs.pk}/waitlist/").status_code == 404


def test_the_offer_shows_on_the_manage_page_and_accepting_moves_the_appointment():
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4)
    session = _book(chairs[0], 10)
    waitlist_join(dose=session.dose)
    offer = _offer_to(session, freed)
    client, url = _client(session)
    page = client.get(url).content.decode()
    assert "An earlier time is available" in page
    response = client.post(f"{url}offers/{offer.pk}/accept/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.start == freed.start
    assert "Done: your appointment is now on" in client.get(url).content.decode()


def test_a_taken_offer_says_so_and_leaves_the_booking_untouched():
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4)
    first = _book(chairs[0], 10)
    second = _book(chairs[0], 12)
    waitlist_join(dose=first.dose)
    waitlist_join(dose=second.dose)
    session_cancel(session=freed, reason="Patient: away")
    backfill_run(freed.chair_id, freed.start.isoformat(), freed.end.isoformat())
    to_first = WaitlistOffer.objects.get(entry__dose=first.dose)
    to_second = WaitlistOffer.objects.get(entry__dose=second.dose)
    # The other patient's offer is still open in their browser when the first one accepts.
    WaitlistOffer.objects.filter(pk=to_second.pk).update(status="open")
    client_first, url_first = _client(first)
    assert client_first.post(f"{url_first}offers/{to_first.pk}/accept/").status_code == 302
    WaitlistOffer.objects.filter(pk=to_second.pk).update(status="open")
    client, url = _client(second)
    response = client.post(f"{url}offers/{to_second.pk}/accept/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "This time has just been taken" in html
    assert "Your appointment has not changed" in html
    second.refresh_from_db()
    assert second.start == datetime.combine(_day(12), time(9), tzinfo=NY)


def test_an_expired_offer_cannot_be_accepted():
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4)
    session = _book(chairs[0], 10)
    waitlist_join(dose=session.dose)
    offer = _offer_to(session, freed)
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client, url = _client(session)
    assert "An earlier time is available" not in client.get(url).content.decode()
    response = client.post(f"{url}offers/{offer.pk}/accept/")
    assert response.status_code == 410
    assert "This offer has ended" in response.content.decode()
    session.refresh_from_db()
    assert session.start == datetime.combine(_day(10), time(9), tzinfo=NY)
