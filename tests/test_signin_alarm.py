"""The sign-in alarm: many failures for one username from many addresses tell the clinic lead.

Not a lock (each address is locked for that username by axes): one email to the clinic lead
and an entry on the staff dashboard, once per burst.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import SignInAlarm

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _small_thresholds(settings):
    settings.SIGN_IN_ALARM_FAILURES = 8
    settings.SIGN_IN_ALARM_ADDRESSES = 3
    settings.SIGN_IN_ALARM_WINDOW_MINUTES = 60
    settings.CLINIC_LEAD_EMAIL = "lead@clinic.test"


@pytest.fixture
def fail(client, django_capture_on_commit_callbacks):
    """Return fail(username, ip, times): wrong passwords, each request committing for real."""

    def fail_from(username: str, ip: str, times: int = 1) -> None:
        for _ in range(times):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(
                    LOGIN,
                    {"username": username, "password": "wrong-password-123"},
                    REMOTE_ADDR=ip,
                )

    return fail_from


def alarm_emails() -> list:
    return [m for m in mail.outbox if m.to == ["lead@clinic.test"]]


def test_many_failures_from_many_addresses_raise_one_alarm_and_one_email(fail, client, nurse):
    fail("nurse", "203.0.113.1", 4)
    fail("nurse", "203.0.113.2", 3)
    assert not SignInAlarm.objects.exists()
    fail("nurse", "203.0.113.3")
    alarm = SignInAlarm.objects.get()
    assert (alarm.username, alarm.failures, alarm.addresses) == ("nurse", 8, 3)
    [email] = alarm_emails()
    assert "'nurse'" in email.body and "8 times" in email.body and "3 different" in email.body
    assert f"/admin/clinic/signinalarm/{alarm.pk}/change/" in email.body
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert address not in email.body


def test_the_alarm_fires_once_per_burst_not_per_failure(fail, client, nurse):
    for n in range(1, 6):
        fail("nurse", f"203.0.113.{n}", 3)
    assert SignInAlarm.objects.count() == 1
    assert len(alarm_emails()) == 1
    assert SignInAlarm.objects.get().failures == 15


def test_a_new_burst_after_a_quiet_window_raises_a_new_alarm(fail, client, nurse):
    for n in range(1, 4):
        fail("nurse", f"203.0.113.{n}", 3)
    assert len(alarm_emails()) == 1
    # An hour and a bit of quiet.
    earlier = timezone.now() - timedelta(minutes=61)
    AccessFailureLog.objects.update(attempt_time=earlier)
    SignInAlarm.objects.update(last_failure_at=earlier)
    fail("nurse", "198.51.100.1")
    assert len(alarm_emails()) == 1  # one failure is not a burst
    for n in range(1, 4):
        fail("nurse", f"198.51.100.{n}", 3)
    assert SignInAlarm.objects.count() == 2
    assert SignInAlarm.objects.filter(burst_open=True).count() == 1
    assert len(alarm_emails()) == 2


def test_many_failures_from_one_or_two_addresses_raise_no_alarm(fail, client, nurse):
    fail("nurse", "203.0.113.1", 6)
    fail("nurse", "203.0.113.2", 6)
    assert not SignInAlarm.objects.exists()
    assert alarm_emails() == []


def test_failures_spread_over_several_usernames_are_counted_per_username(
    fail, client, nurse, clinician
):
    for n in range(1, 5):
        fail("nurse", f"203.0.113.{n}")
        fail("clinician", f"203.0.113.{n}")
    assert not SignInAlarm.objects.exists()


def test_the_alarm_is_not_a_lock(fail, client, nurse):
    for n in range(1, 4):
        fail("nurse", f"203.0.113.{n}", 3)
    assert SignInAlarm.objects.exists()
    response = client.__class__().post(
        LOGIN,
        {"username": "nurse", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="198.51.100.99",
    )
    assert response.status_code == 302


def test_unknown_usernames_raise_the_alarm_too(fail, client):
    for n in range(1, 4):
        fail("admin", f"203.0.113.{n}", 3)
    assert SignInAlarm.objects.get().username == "admin"


def test_with_the_default_settings_twenty_failures_from_three_addresses_raise_it(
    fail, client, nurse, settings
):
    settings.SIGN_IN_ALARM_FAILURES = 20
    for n in range(1, 4):
        fail("nurse", f"203.0.113.{n}", 6)
    assert not SignInAlarm.objects.exists()
    fail("nurse", "203.0.113.4", 2)
    assert SignInAlarm.objects.get().failures == 20


def test_the_dashboard_shows_the_alarm_to_a_superuser_only(fail, client, nurse, superuser):
    for n in range(1, 4):
        fail("nurse", f"203.0.113.{n}", 3)
    admin_client = client.__class__()
    admin_client.force_login(superuser)
    html = admin_client.get("/admin/").content.decode()
    assert "Sign-in alarms" in html
    assert "nurse" in html
    nurse_client = client.__class__()
    nurse_client.force_login(nurse)
    assert "Sign-in alarms" not in nurse_client.get("/admin/").content.decode()


def test_the_alarm_page_links_to_the_failed_sign_ins(fail, client, nurse, superuser):
    for n in range(1, 4):
        fail("nurse", f"203.0.113.{n}", 3)
    alarm = SignInAlarm.objects.get()
    admin_client = client.__class__()
    admin_client.force_login(superuser)
    page = admin_client.get(f"/admin/clinic/signinalarm/{alarm.pk}/change/")
    assert page.status_code == 200
    assert "/admin/axes/accessfailurelog/?username=nurse" in page.content.decode()
    failures = admin_client.get("/admin/axes/accessfailurelog/?username=nurse")
    assert failures.status_code == 200


def test_the_database_allows_one_open_alarm_per_username():
    SignInAlarm.objects.create(username="nurse", failures=20, addresses=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        SignInAlarm.objects.create(username="nurse", failures=20, addresses=3)
    SignInAlarm.objects.create(username="nurse", failures=20, addresses=3, burst_open=False)
