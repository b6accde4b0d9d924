"""django-axes: five wrong passwords lock that account from that address for 15 minutes.

The lock is on the pair (username, address): someone elsewhere who knows a colleague's
username can't lock the colleague out, and one locked address doesn't block other accounts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

PASSWORD = "correct-horse-battery"
LOGIN = "/admin/login/"


def post_login(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def fail_five_times(client, username: str, ip: str = "203.0.113.7") -> None:
    for _ in range(5):
        post_login(client, username, "wrong-password-123", ip)


def age_attempts(minutes: float) -> None:
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


@pytest.mark.django_db
def test_four_wrong_passwords_do_not_lock_the_account(client, nurse):
    for _ in range(4):
        assert post_login(client, "nurse", "wrong-password-123").status_code == 200
    response = post_login(client, "nurse", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_with_the_right_password(client, nurse):
    fail_five_times(client, "nurse")
    response = post_login(client, "nurse", PASSWORD)
    assert response.status_code == 429
    assert "locked for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_five_wrong_passwords_from_one_address_leave_the_account_open_from_another(client, nurse):
    fail_five_times(client, "nurse", ip="203.0.113.7")
    assert post_login(client, "nurse", PASSWORD, ip="203.0.113.7").status_code == 429
    response = client.__class__().post(
        LOGIN,
        {"username": "nurse", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_a_locked_address_can_still_sign_in_to_other_accounts(client, nurse, clinician):
    fail_five_times(client, "nurse", ip="203.0.113.7")
    assert post_login(client, "clinician", PASSWORD, ip="203.0.113.7").status_code == 302


@pytest.mark.django_db
def test_behind_a_proxy_the_lock_is_on_the_real_address_not_the_proxy(client, nurse, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        client.post(
            LOGIN,
            {"username": "nurse", "password": "wrong-password-123"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    colleague = client.__class__().post(
        LOGIN,
        {"username": "nurse", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert colleague.status_code == 302


@pytest.mark.django_db
def test_the_lockout_answer_says_when_to_come_back(client, nurse):
    fail_five_times(client, "nurse")
    response = post_login(client, "nurse", PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_lock_still_holds_after_fourteen_minutes(client, nurse):
    fail_five_times(client, "nurse")
    age_attempts(14)
    assert post_login(client, "nurse", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_lock_ends_after_fifteen_minutes(client, nurse):
    fail_five_times(client, "nurse")
    age_attempts(15.1)
    response = post_login(client, "nurse", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_an_admin_can_unlock_an_account_with_the_unlock_action(client, nurse, superuser):
    fail_five_times(client, "nurse")
    assert post_login(client, "nurse", PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.get(username="nurse")

    admin_client = client.__class__()
    admin_client.force_login(superuser)
    response = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Unlocked 1 sign-in record" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="nurse").exists()

    response = post_login(client, "nurse", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_only_superusers_see_the_lockouts(client, coordinator, nurse, clinician, scheduler):
    for user in (coordinator, nurse, clinician, scheduler):
        client.force_login(user)
        assert client.get("/admin/axes/accessattempt/").status_code == 403


@pytest.mark.django_db
def test_the_lockout_page_leaks_no_account_details(client, nurse):
    fail_five_times(client, "nurse")
    html = post_login(client, "nurse", PASSWORD).content.decode()
    assert "203.0.113.7" not in html
    assert "Traceback" not in html
