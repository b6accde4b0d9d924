"""Staff sessions end after 30 minutes idle and when the browser closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_the_session_settings_are_thirty_minutes_and_browser_close():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_the_session_cookie_has_no_expiry_so_it_ends_with_the_browser(client, nurse):
    client.force_login(nurse)
    response = client.get("/admin/")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""


@pytest.mark.django_db
def test_each_request_moves_the_server_side_expiry_to_thirty_minutes_ahead(client, nurse):
    client.force_login(nurse)
    session = _session(client)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get("/admin/").status_code == 200
    remaining = _session(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


@pytest.mark.django_db
def test_a_staff_session_idle_for_thirty_minutes_is_signed_out(client, nurse):
    client.force_login(nurse)
    assert client.get("/admin/").status_code == 200
    # The last request set the expiry to now + 30 min; thirty idle minutes later it has passed.
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/admin/intake/referral/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_staff_session_idle_for_twenty_five_minutes_is_still_signed_in(client, nurse):
    client.force_login(nurse)
    client.get("/admin/")
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )
    assert client.get("/admin/intake/referral/").status_code == 200
