"""A patient sees, moves and adds to their calendar a booked infusion, from the emailed link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from scheduling.booking import session_book
from scheduling.models import Session
from tests.browser.conftest import (
    assert_accessible,
    assert_fits_narrow_screen,
    browser_db,
    live_path,
    save_screenshots,
    watched_page,
)
from tests.factories import PatientFactory, clinic_week, ready_course

pytestmark = [pytest.mark.browser, browser_db]
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _booked_session(language: str = "en") -> Session:
    chairs = clinic_week(chairs=3, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=7)
    patient = PatientFactory(email="patient@example.test", preferred_language=language)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    start = datetime.combine(day, time(9, 0), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=start)


def _emailed_manage_link() -> str:
    notice = next(m for m in mail.outbox if m.to == ["patient@example.test"])
    return live_path(re.search(r"https?://\S+/my/\S+/", notice.body).group(0))


def _open(page, link: str) -> None:
    page.goto(link)
    assert_accessible(page, "manage: date of birth check")
    page.get_by_label(re.compile("date of birth|fecha de nacimiento", re.I)).fill(DOB)
    page.get_by_role("button", name=re.compile("Continue|Continuar")).click()
    page.wait_for_load_state()


def test_a_patient_moves_an_appointment_and_downloads_the_calendar_file(new_context, path_done):
    session = _booked_session()
    before = (session.start, session.chair_id)
    page = watched_page(new_context())
    _open(page, _emailed_manage_link())

    assert page.get_by_role("heading", level=1).inner_text() == "Your appointments"
    assert_accessible(page, "manage appointments")
    assert_fits_narrow_screen(page, "manage appointments")
    save_screenshots(page, "manage-appointments")

    page.get_by_role("link", name="Choose another time").click()
    page.wait_for_url(re.compile(r"/reschedule/$"))
    assert_accessible(page, "choose another time")
    assert_fits_narrow_screen(page, "choose another time")
    save_screenshots(page, "manage-reschedule")
    offered = page.locator("input[name='pick']")
    assert offered.count() >= 2
    # Take an offered time that is not the current one.
    new_time_label = page.locator("label[for='pick-2']").inner_text()
    page.get_by_label(new_time_label, exact=True).check()
    page.get_by_role("button", name="Move my appointment").click()

    page.wait_for_url(re.compile(r"/my/[^/]+/$"))
    assert "Your appointment is now on" in page.get_by_role("status").inner_text()
    session.refresh_from_db()
    assert (session.start, session.chair_id) != before
    assert_accessible(page, "manage appointments after a move")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to my calendar").click()
    download = download_info.value
    assert download.suggested_filename == "appointment.ics"
    ics = Path(download.path()).read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in ics
    starts = {
        session.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
        session.start.astimezone(NY).strftime("%Y%m%dT%H%M%S"),
    }
    event = ics.split("BEGIN:VEVENT", 1)[1]
    dtstart = next(line for line in event.splitlines() if line.startswith("DTSTART"))
    assert any(dtstart.endswith(value) for value in starts), dtstart
    path_done("manage: emailed link, date of birth, reschedule to an offered time, download ICS")


def test_a_spanish_speaking_patient_sees_the_appointments_in_spanish(new_context, path_done):
    _booked_session(language="es")
    page = watched_page(new_context(locale="es-US"))
    _open(page, _emailed_manage_link())
    assert page.get_by_role("heading", level=1).inner_text() == "Sus citas"
    assert_accessible(page, "manage appointments in Spanish")
    save_screenshots(page, "manage-appointments-es")
    path_done("manage: a Spanish-speaking patient's appointments in Spanish")
