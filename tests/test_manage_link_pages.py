"""Patients see, confirm, cancel and reschedule their sessions from a private link."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling.booking import session_book
from scheduling.models import Session
from tests.factories import clinic_week, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth


def _session(days_ahead: int = 5, hhmm: str = "09:00", chairs: int = 3) -> Session:
    made = clinic_week(chairs=chairs, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=days_ahead)
    course = ready_course("natalizumab", start_after=day)
    start = datetime.combine(day, time.fromisoformat(hhmm), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=made[0], start=start)


def _link(session: Session) -> str:
    _link_row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    return f"/my/{token}/"


def _verified(url: str) -> Client:
    client = Client()
    assert client.post(url, {"date_of_birth": DOB}).status_code == 302
    return client


def test_nothing_is_shown_before_the_date_of_birth(client):
    session = _session()
    response = client.get(_link(session))
    assert response.status_code == 200
    assert "Your date of birth" in response.content.decode()
    assert "09:00" not in response.content.decode()


def test_a_wrong_date_of_birth_ten_times_locks_the_link(client):
    url = _link(_session())
    for _ in range(9):
        assert client.post(url, {"date_of_birth": "1999-01-01"}).status_code == 200
    assert client.post(url, {"date_of_birth": "1999-01-01"}).status_code == 403
    locked = client.post(url, {"date_of_birth": DOB})
    assert locked.status_code == 403
    assert "This link is locked" in locked.content.decode()


def test_the_patient_sees_the_local_start_time_and_confirms():
    session = _session(hhmm="09:00")
    url = _link(session)
    client = _verified(url)
    html = client.get(url).content.decode()
    assert "9 a.m." in html or "09:00" in html  # 14:00 UTC in winter, 13:00 in summer
    assert "Your date of birth" not in html
    assert client.post(f"{url}{session.pk}/confirm/").status_code == 302
    session.refresh_from_db()
    assert session.confirmed_at is not None


def test_cancel_inside_24_hours_is_refused_with_please_call():
    session = _session(days_ahead=5)
    soon = timezone.now() + timedelta(hours=5)
    Session.objects.filter(pk=session.pk).update(start=soon, end=soon + timedelta(hours=2))
    url = _link(session)
    client = _verified(url)
    response = client.post(f"{url}{session.pk}/cancel/", {"reason": ""}, follow=True)
    assert "please call" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "booked"


def test_cancel_more_than_24_hours_ahead_frees_the_chair():
    session = _session(days_ahead=5)
    url = _link(session)
    client = _verified(url)
    client.post(f"{url}{session.pk}/cancel/", {"reason": "Away"})
    session.refresh_from_db()
    assert session.status == "cancelled" and session.cancel_reason == "Patient: Away"


def test_reschedule_offers_only_times_inside_the_dose_window():
    session = _session(days_ahead=5)
    url = _link(session)
    client = _verified(url)
    page = client.get(f"{url}{session.pk}/reschedule/")
    choices = page.context["form"].fields["pick"].choices
    assert choices
    dose = session.dose
    for value, _label in choices:
        start = datetime.fromisoformat(value.split(":", 2)[2])
        assert dose.earliest <= start.astimezone(NY).date() <= dose.latest
    value = choices[-1][0]
    assert client.post(f"{url}{session.pk}/reschedule/", {"pick": value}).status_code == 302
    session.refresh_from_db()
    assert session.start == datetime.fromisoformat(value.split(":", 2)[2])


def test_a_made_up_time_outside_the_window_is_refused():
    session = _session(days_ahead=5)
    url = _link(session)
    client = _verified(url)
    far = session.start + timedelta(days=60)
    response = client.post(
        f"{url}{session.pk}/reschedule/", {"pick": f":{session.chair_id}:{far.isoformat()}"}
    )
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.start != far


def test_another_patients_session_is_not_found():
    mine = _session()
    other_course = ready_course("natalizumab", start_after=mine.dose.target)
    other = Session.objects.create(
        course=other_course,
        dose=other_course.doses.get(sequence=1),
        chair=mine.chair,
        start=mine.start + timedelta(hours=3),
        end=mine.end + timedelta(hours=3),
    )
    url = _link(mine)
    client = _verified(url)
    assert client.get(f"{url}{other.pk}/appointment.ics").status_code == 404


def test_the_page_shows_both_the_start_and_the_end_time():
    # Regression: the end time was cut to its last five characters ("a.m.").
    session = _session(hhmm="09:00")
    url = _link(session)
    html = _verified(url).get(url).content.decode()
    end = session.end.astimezone(NY)
    assert f"– {end:%-I}:{end:%M} a.m." in html or f"– {end:%-I} a.m." in html
