"""The waitlist's patient pages and emails in Spanish carry no English."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling.backfill import backfill_run
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistOffer
from scheduling.waitlist import waitlist_join
from tests.factories import PatientFactory, clinic_week, ready_course
from tests.test_i18n_untranslated import english_left_in, spanish_client, visible_text

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"


def _day(ahead: int) -> date:
    return timezone.localdate(timezone=NY) + timedelta(days=ahead)


def _book(chair, ahead: int) -> Session:
    course = ready_course(
        "natalizumab", start_after=_day(2), patient=PatientFactory(preferred_language="es")
    )
    start = datetime.combine(_day(ahead), time(9), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chair, start=start, notify=False)


def _spanish(session: Session):
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    url = f"/my/{token}/"
    client = spanish_client()
    assert client.post(url, {"date_of_birth": DOB}).status_code == 302
    return client, url


def test_joining_and_the_offer_pages_in_spanish_have_no_english_left(
    django_capture_on_commit_callbacks,
):
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4)
    session = _book(chairs[0], 10)
    other = _book(chairs[0], 12)
    client, url = _spanish(session)
    pages = [client.get(url), client.get(f"{url}{session.pk}/waitlist/")]
    pages.append(client.post(f"{url}{session.pk}/waitlist/", {"part_of_day": "x"}))
    client.post(f"{url}{session.pk}/waitlist/", {"part_of_day": "any", "notice_hours": "24"})
    waitlist_join(dose=other.dose)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=freed, reason="Paciente: de viaje")
    pages.append(client.get(url))
    for email in mail.outbox:
        assert english_left_in(f"{email.subject} {email.body}") == []
    assert len(mail.outbox) == 2
    mine = WaitlistOffer.objects.get(entry__dose=session.dose)
    theirs = WaitlistOffer.objects.get(entry__dose=other.dose)
    pages.append(client.post(f"{url}offers/{mine.pk}/accept/", follow=True))
    other_client, other_url = _spanish(other)
    WaitlistOffer.objects.filter(pk=theirs.pk).update(status="open")
    pages.append(other_client.post(f"{other_url}offers/{theirs.pk}/accept/"))
    assert pages[-1].status_code == 409
    for page in pages:
        assert english_left_in(visible_text(page.content.decode())) == [], page.request


def test_the_expired_offer_page_in_spanish_has_no_english_left():
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4)
    session = _book(chairs[0], 10)
    waitlist_join(dose=session.dose)
    session_cancel(session=freed, reason="x")
    backfill_run(freed.chair_id, freed.start.isoformat(), freed.end.isoformat())
    offer = WaitlistOffer.objects.get()
    WaitlistOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())
    client, url = _spanish(session)
    page = client.post(f"{url}offers/{offer.pk}/accept/")
    assert page.status_code == 410
    assert english_left_in(visible_text(page.content.decode())) == []
