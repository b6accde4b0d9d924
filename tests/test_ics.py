"""The ICS file parses, carries the clinic's address, local times, and no health details."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from icalendar import Calendar

from clinic.links import link_create
from clinic.models import ClinicSettings, PrivateLink
from scheduling.calendar import session_ics
from scheduling.models import Session
from tests.factories import ChairFactory, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def _session(day: date, hhmm: str) -> Session:
    course = ready_course("natalizumab", start_after=day)
    start = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)
    return Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=ChairFactory(),
        start=start,
        end=start + timedelta(hours=2),
    )


@pytest.mark.parametrize("day", [date(2027, 3, 15), date(2027, 11, 8), date(2027, 7, 1)])
def test_the_event_has_the_right_local_times_across_daylight_saving(day):
    event = Calendar.from_ical(
        session_ics(session=_session(day, "09:30"), clinic=ClinicSettings.load())
    ).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert (start.date(), start.time()) == (day, time(9, 30))
    assert start.utcoffset() == datetime.combine(day, time(9, 30), tzinfo=NY).utcoffset()
    assert str(start.tzinfo).endswith("New_York")
    assert event.decoded("dtend") - start == timedelta(hours=2)


def test_the_event_names_the_clinic_and_its_address_but_no_therapy():
    clinic = ClinicSettings.load()
    raw = session_ics(session=_session(date(2027, 1, 4), "09:00"), clinic=clinic)
    calendar = Calendar.from_ical(raw)
    assert calendar.walk("VTIMEZONE")
    event = calendar.walk("VEVENT")[0]
    assert str(event["location"]).startswith("100 Example Street")
    assert clinic.name in str(event["summary"])
    text = raw.decode().lower()
    for clinical in ("natalizumab", "tysabri", "infusion 1", "300 mg"):
        assert clinical not in text


def test_the_patient_downloads_the_file_from_the_private_link():
    session = _session(date(2027, 1, 4), "09:00")
    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    client = Client()
    client.post(f"/my/{token}/", {"date_of_birth": "1980-03-27"})
    response = client.get(f"/my/{token}/{session.pk}/appointment.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(response.content).walk("VEVENT")
