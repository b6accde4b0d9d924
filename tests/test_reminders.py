"""send_reminders emails each patient once, two days ahead, with links and no health details."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from scheduling.booking import session_book
from scheduling.models import ReminderSent, Session
from tests.factories import ChairFactory, PatientFactory, clinic_week, ready_course

pytestmark = pytest.mark.django_db


def _session(hours_ahead: float, status: str = "booked", email: str | None = None) -> Session:
    patient = PatientFactory(**({"email": email} if email is not None else {}))
    course = ready_course("natalizumab", patient=patient)
    start = timezone.now() + timedelta(hours=hours_ahead)
    return Session.objects.create(
        course=course,
        dose=course.doses.get(sequence=1),
        chair=ChairFactory(),
        start=start,
        end=start + timedelta(hours=2),
        status=status,
    )


def test_running_twice_sends_each_reminder_once():
    due = _session(30)
    call_command("send_reminders", stdout=StringIO())
    call_command("send_reminders", stdout=StringIO())
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [due.course.patient.email]
    assert ReminderSent.objects.filter(session=due).count() == 1


def test_only_booked_sessions_within_two_days_are_reminded():
    _session(30)
    _session(24 * 3)
    _session(20, status="cancelled")
    _session(-2, status="completed")
    _session(10, email="")
    call_command("send_reminders", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_the_email_carries_the_manage_and_questionnaire_links_but_no_health_details(client):
    _session(30)
    call_command("send_reminders", stdout=StringIO())
    message = mail.outbox[0]
    assert "https://chairside.test/my/" in message.body
    assert "https://chairside.test/q/" in message.body
    for clinical in ("natalizumab", "tysabri", "300 mg", "touch", "dose"):
        assert clinical not in message.subject.lower()
        assert clinical not in message.body.lower()
    manage = next(w for w in message.body.split() if "/my/" in w)
    page = client.get(manage.replace("https://chairside.test", ""))
    assert page.status_code == 200 and "date of birth" in page.content.decode().lower()


def test_booking_emails_the_patient_a_manage_link_after_commit(django_capture_on_commit_callbacks):
    chairs = clinic_week(weekdays=range(7))
    course = ready_course("natalizumab", start_after=timezone.localdate() + timedelta(days=3))
    start = datetime.combine(
        course.doses.get(sequence=1).target, time(9), tzinfo=ZoneInfo("America/New_York")
    )
    with django_capture_on_commit_callbacks(execute=True):
        session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=start)
    (message,) = mail.outbox
    assert "https://chairside.test/my/" in message.body
    assert "natalizumab" not in message.body.lower() and "tysabri" not in message.body.lower()
