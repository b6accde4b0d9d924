"""Staff two-factor sign-in: setup with a QR code, codes at sign-in, backup codes, the gate."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ReferralFactory

PASSWORD = "correct-horse-battery"
LOGIN = "/admin/login/"
SETUP = "/admin/two-factor/setup/"

# Pages a signed-in but unverified staff member may see: signing in and out, and enrolling.
OPEN_TO_UNVERIFIED = {"admin/login/", "admin/logout/", "admin/two-factor/setup/"}


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True
    return settings


def totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client, user, code: str = "", next_url: str = "/admin/"):
    return client.post(
        LOGIN,
        {"username": user.username, "password": PASSWORD, "otp_token": code, "next": next_url},
    )


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(pattern: str) -> str:
    """Turn a route or regex pattern into a real path, with 1 for every identifier."""
    path = re.sub(r"<(?:\w+:)?\w+>", "1", pattern)
    path = path.replace("(?P<app_label>", "(").replace("(?P<url>.*)", "no-such-page/")
    path = re.sub(r"\(\[\^/\]\+\)", "1", path)
    path = re.sub(r"\(([a-z_]+)\|[^)]*\)", r"\1", path)
    return "/" + path.replace("^", "").replace("$", "")


def staff_urls() -> list[str]:
    """Every admin page and every staff view outside the admin, as concrete paths."""
    urls = []
    for pattern in _walk(get_resolver().url_patterns):
        if not (pattern.startswith("admin/") or pattern.startswith("staff/")):
            continue
        if pattern in OPEN_TO_UNVERIFIED:
            continue
        urls.append(_concrete(pattern))
    return sorted(set(urls))


def test_the_sweep_covers_every_model_admin_and_staff_view():
    urls = staff_urls()
    assert "/admin/" in urls
    assert "/admin/intake/referral/1/change/" in urls
    assert "/admin/clinic/accesslog/" in urls
    assert "/staff/documents/1/" in urls
    assert "/admin/intake/referral/1/history/1/" in urls
    assert len(urls) > 60


@pytest.mark.django_db
def test_a_staff_user_without_a_confirmed_device_cannot_reach_any_admin_page(
    client, otp_on, superuser
):
    ReferralFactory()
    client.force_login(superuser)
    reached = {}
    for url in staff_urls():
        response = client.get(url)
        if response.status_code not in (302, 404) or (
            response.status_code == 302
            and not response["Location"].startswith(("/admin/login/", SETUP))
        ):
            reached[url] = response.status_code
    assert reached == {}


@pytest.mark.django_db
def test_an_unverified_staff_user_cannot_post_to_admin_actions_either(client, otp_on, coordinator):
    referral = ReferralFactory()
    client.force_login(coordinator)
    response = client.post(
        "/admin/intake/referral/",
        {"action": "start_review", "_selected_action": [referral.pk]},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    referral.refresh_from_db()
    assert referral.status == "received"


@pytest.mark.django_db
def test_a_verified_staff_user_reaches_the_admin(client, otp_on, coordinator):
    device = confirmed_device(coordinator)
    response = sign_in(client, coordinator, totp_now(device))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/intake/referral/").status_code == 200


@pytest.mark.django_db
def test_first_sign_in_without_a_device_goes_to_setup(client, otp_on, coordinator):
    response = sign_in(client, coordinator)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    # Until set up, the admin sends them back to setup, never to a page.
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"].startswith(SETUP)


@pytest.mark.django_db
def test_the_setup_page_shows_a_qr_code_as_an_image_and_the_key(client, otp_on, coordinator):
    client.force_login(coordinator)
    response = client.get(SETUP)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    # Reloading keeps the same secret, so a half-finished scan still works.
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1
    from base64 import b32encode

    first_block = b32encode(device.bin_key).decode()[:4]
    assert first_block in html


@pytest.mark.django_db
def test_confirming_a_code_verifies_the_session_and_shows_ten_backup_codes(
    client, otp_on, coordinator
):
    client.force_login(coordinator)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=coordinator)
    response = client.post(SETUP, {"otp_token": totp_now(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = response.context["codes"]
    assert len(codes) == 10
    for code in codes:
        assert code in response.content.decode()
    static = StaticDevice.objects.get(user=coordinator)
    assert static.token_set.count() == 10
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_at_setup_confirms_nothing(client, otp_on, coordinator):
    client.force_login(coordinator)
    client.get(SETUP)
    response = client.post(SETUP, {"otp_token": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not TOTPDevice.objects.filter(user=coordinator, confirmed=True).exists()
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_setup_is_refused_once_a_device_is_confirmed(client, otp_on, coordinator):
    """A stolen password alone can't add a second authenticator."""
    confirmed_device(coordinator)
    client.force_login(coordinator)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    assert client.post(SETUP, {"otp_token": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


@pytest.mark.django_db
def test_setup_needs_a_signed_in_staff_user(client, otp_on, outsider):
    assert client.get(SETUP)["Location"].startswith("/admin/login/")
    client.force_login(outsider)
    assert client.get(SETUP)["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_user_with_a_device_must_give_a_code(client, otp_on, coordinator):
    confirmed_device(coordinator)
    response = sign_in(client, coordinator, "")
    assert response.status_code == 200
    assert "Enter the code from your authenticator app." in response.content.decode()
    response = sign_in(client, coordinator, "000000")
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_backup_code_signs_in_once(client, otp_on, coordinator):
    from clinic.twofactor import backup_codes_issue

    confirmed_device(coordinator)
    code = backup_codes_issue(user=coordinator)[0]
    response = sign_in(client, coordinator, code)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.logout()
    response = sign_in(client, coordinator, code)
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_verified_user_can_replace_their_backup_codes(client, otp_on, coordinator):
    from clinic.twofactor import backup_codes_issue

    device = confirmed_device(coordinator)
    old = backup_codes_issue(user=coordinator)
    sign_in(client, coordinator, totp_now(device))
    response = client.post(reverse("admin:two_factor_backup_codes"))
    assert response.status_code == 200
    new = response.context["codes"]
    assert len(new) == 10
    assert not set(old) & set(new)
    assert StaticDevice.objects.get(user=coordinator).token_set.count() == 10


@pytest.mark.django_db
def test_the_document_download_needs_a_verified_device(client, otp_on, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("intake:document_download", args=[1]))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_in_development_two_factor_is_optional_until_set_up(client, coordinator):
    response = sign_in(client, coordinator)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_dashboard_invites_staff_without_a_device_to_set_one_up(client, nurse):
    client.force_login(nurse)
    html = client.get("/admin/").content.decode()
    assert "Two-factor sign-in is not set up" in html
    assert SETUP in html


@pytest.mark.django_db
def test_the_dashboard_warns_when_backup_codes_run_low(client, otp_on, nurse):
    from django_otp.plugins.otp_static.models import StaticToken

    from clinic.twofactor import backup_codes_issue

    device = confirmed_device(nurse)
    codes = backup_codes_issue(user=nurse)
    sign_in(client, nurse, totp_now(device))
    assert "Your sign-in" not in client.get("/admin/").content.decode()
    StaticToken.objects.filter(token__in=codes[:8]).delete()
    html = client.get("/admin/").content.decode()
    assert "You have 2 backup codes left" in html
