"""On a phone, a patient joins the waitlist and takes an earlier time offered, in English and
Spanish; every page is axe clean and reflows."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling.booking import session_book, session_cancel
from scheduling.models import Session, WaitlistOffer
from tests.browser.conftest import (
    PHONE,
    assert_accessible,
    assert_fits_narrow_screen,
    browser_db,
    save_screenshots,
    watched_page,
)
from tests.factories import PatientFactory, clinic_week, ready_course

pytestmark = [pytest.mark.browser, browser_db]
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth

TEXT = {
    "en": {
        "join": "Tell me if an earlier time opens",
        "mornings": "Mornings only",
        "notice": "2 days",
        "submit": "Put me on the waitlist",
        "joined": "You are on the waitlist",
        "offer": "An earlier time is available",
        "take": "Take this earlier time",
        "done": "Done: your appointment is now on",
        "continue": "Continue",
    },
    "es": {
        "join": "Avisarme si se libera un horario más temprano",
        "mornings": "Solo por la mañana",
        "notice": "2 días",
        "submit": "Añadirme a la lista de espera",
        "joined": "Está en la lista de espera",
        "offer": "Hay un horario más temprano disponible",
        "take": "Tomar este horario más temprano",
        "done": "Listo: su cita es ahora el",
        "continue": "Continuar",
    },
}


def _book(chair, ahead: int, language: str, email: str) -> Session:
    day = timezone.localdate(timezone=NY) + timedelta(days=ahead)
    patient = PatientFactory(email=email, preferred_language=language)
    course = ready_course(
        "natalizumab",
        start_after=timezone.localdate(timezone=NY) + timedelta(days=2),
        patient=patient,
    )
    start = datetime.combine(day, time(9, 0), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chair, start=start, notify=False)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_patient_joins_the_waitlist_and_takes_an_earlier_time_on_a_phone(new_context, language):
    words = TEXT[language]
    chairs = clinic_week(chairs=1, weekdays=range(7))
    freed = _book(chairs[0], 4, language, "other@example.test")
    mine = _book(chairs[0], 10, language, "patient@example.test")
    _row, token = link_create(
        patient=mine.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    locale = "en-US" if language == "en" else "es-US"
    page = watched_page(new_context(locale=locale, viewport=PHONE))
    page.goto(f"/my/{token}/")
    page.get_by_label(re.compile("date of birth|fecha de nacimiento", re.I)).fill(DOB)
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_load_state()

    page.get_by_role("link", name=words["join"]).click()
    page.wait_for_url(re.compile(r"/waitlist/$"))
    assert_accessible(page, f"waitlist join ({language})")
    assert_fits_narrow_screen(page, f"waitlist join ({language})")
    save_screenshots(page, f"waitlist-join-{language}")
    page.get_by_label(words["mornings"]).check()
    page.get_by_label(words["notice"]).check()
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url(re.compile(r"/my/[^/]+/$"))
    assert words["joined"] in page.get_by_role("status").inner_text()
    assert_accessible(page, f"manage after joining ({language})")

    # Another patient cancels: the commit queues the backfill, which offers the time.
    mail.outbox.clear()
    session_cancel(session=freed, reason="Patient: travelling")
    offer = WaitlistOffer.objects.get()
    assert any(m.to == ["patient@example.test"] for m in mail.outbox)

    page.reload()
    assert page.get_by_role("heading", name=words["offer"]).is_visible()
    assert_accessible(page, f"manage with an offer ({language})")
    assert_fits_narrow_screen(page, f"manage with an offer ({language})")
    save_screenshots(page, f"waitlist-offer-{language}")
    page.get_by_role("button", name=words["take"]).click()
    page.wait_for_url(re.compile(r"/my/[^/]+/$"))
    assert words["done"] in page.get_by_role("status").inner_text()
    assert_accessible(page, f"manage after taking the offer ({language})")
    mine.refresh_from_db()
    offer.refresh_from_db()
    assert (mine.start, offer.status) == (freed.start, "accepted")
