"""Error pages (400, 403, 404, 410, 429, 500): friendly, on brand, and they leak nothing.

They render even when the static files were never collected or the manifest is stale.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from clinic.links import link_create, private_link
from clinic.models import PrivateLink
from tests.factories import PatientFactory, ReferralFactory
from tests.test_security_headers import production_env

SECRET_MARKER = "internal-detail-3f9a"


def boom_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"database password is {SECRET_MARKER}")


def forbidden_view(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_MARKER)


def suspicious_view(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation(SECRET_MARKER)


@private_link(purpose=PrivateLink.Purpose.QUESTIONNAIRE)
def gate_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    return HttpResponse("behind the gate")


# This module is also the URLconf of its tests: the real site plus views that fail on purpose.
handler400 = "clinic.views.bad_request_view"
handler403 = "clinic.views.permission_denied_view"
handler404 = "clinic.views.not_found_view"
handler500 = "clinic.views.server_error_view"
urlpatterns = [
    path("test-boom/", boom_view),
    path("test-forbidden/", forbidden_view),
    path("test-suspicious/", suspicious_view),
    path("test-gate/<str:token>/", gate_view),
    path("", include("clinic.urls")),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

LEAKS = [
    SECRET_MARKER,
    "Traceback",
    "RuntimeError",
    "SuspiciousOperation",
    "PermissionDenied",
    "SECRET_KEY",
    "settings.py",
    "site-packages",
    "DEBUG",
    "Django",
]


@pytest.fixture
def prod(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    return Client(raise_request_exception=False)


def assert_friendly(response, status: int, heading: str) -> None:
    html = response.content.decode()
    assert response.status_code == status
    # On brand: the clinic's layout, its stylesheet and a way home.
    assert "Chairside infusion clinic" in html
    assert "css/chairside.css" in html
    assert 'href="/"' in html
    assert heading in html
    for leak in [*LEAKS, str(settings.BASE_DIR)]:
        assert leak not in html, leak


def test_400_is_friendly(prod):
    assert_friendly(prod.get("/test-suspicious/"), 400, "Something was wrong with that request")


def test_400_for_a_forged_host_header_is_friendly(prod):
    response = prod.get("/refer/", HTTP_HOST="evil.example")
    assert_friendly(response, 400, "Something was wrong with that request")
    assert "evil.example" not in response.content.decode()


def test_403_is_friendly(prod):
    assert_friendly(prod.get("/test-forbidden/"), 403, "open this page")


def test_403_for_a_staff_member_without_the_permission_is_friendly(prod, scheduler):
    from intake.models import ReferralDocument

    referral = ReferralFactory()
    document = ReferralDocument.objects.create(
        referral=referral,
        kind="order",
        file="x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
    )
    prod.force_login(scheduler)
    response = prod.get(f"/staff/documents/{document.pk}/")
    assert_friendly(response, 403, "open this page")


def test_403_for_a_missing_csrf_token_is_friendly(settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    response = client.post("/refer/", {"given_name": "x"})
    assert_friendly(response, 403, "This form has expired")
    assert "CSRF" not in response.content.decode()


def test_404_is_friendly_and_does_not_echo_the_address(prod):
    response = prod.get("/no-such-page/<script>alert(1)</script>/")
    assert_friendly(response, 404, "Page not found")
    html = response.content.decode()
    assert "<script>alert(1)" not in html


def test_404_for_an_unknown_admin_object_leaks_nothing(prod, superuser):
    prod.force_login(superuser)
    response = prod.get("/admin/intake/referral/999999/change/", follow=True)
    assert response.status_code == 200  # the admin redirects to its index with a message
    assert SECRET_MARKER not in response.content.decode()


def test_410_for_an_expired_link_is_friendly(prod):
    link, token = link_create(patient=PatientFactory(), purpose="questionnaire", days=1)
    PrivateLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert_friendly(prod.get(f"/test-gate/{token}/"), 410, "This link has expired")


def test_the_generic_410_page_is_friendly():
    html = render_to_string("errors/410.html")
    assert "This page is no longer available" in html
    assert "Chairside infusion clinic" in html


def test_429_is_friendly_and_says_when_to_come_back(prod, settings):
    settings.RATE_LIMITS = {"referral-post": (1, 600)}
    prod.post("/refer/", {})
    response = prod.post("/refer/", {})
    assert_friendly(response, 429, "Please wait a little")
    assert response["Retry-After"] == "600"


def test_500_is_friendly_and_hides_the_error(prod):
    assert_friendly(prod.get("/test-boom/"), 500, "Sorry, something went wrong on our side")


def test_error_pages_carry_the_security_headers(prod):
    for url, status in [("/test-boom/", 500), ("/nope/", 404), ("/test-forbidden/", 403)]:
        response = prod.get(url)
        assert response.status_code == status
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"


PRODUCTION_STATIC = "clinic.staticfiles.ForgivingManifestStaticFilesStorage"


@pytest.fixture(params=["never-collected", "stale-manifest"])
def prod_without_static(request, settings, tmp_path):
    """Production, with the static files never collected or a manifest from an older release."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC}}
    if request.param == "stale-manifest":
        settings.STATIC_ROOT.mkdir()
        (settings.STATIC_ROOT / "staticfiles.json").write_text(
            '{"paths": {"css/old.css": "css/old.0123456789ab.css"}, "version": "1.1"}'
        )
    return Client(raise_request_exception=False)


def test_the_referral_form_renders_without_static_files(prod_without_static):
    response = prod_without_static.get("/refer/")
    assert response.status_code == 200
    assert "/static/css/chairside.css" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/test-suspicious/", 400, "Something was wrong with that request"),
        ("/test-forbidden/", 403, "open this page"),
        ("/no-such-page/", 404, "Page not found"),
        ("/test-boom/", 500, "Sorry, something went wrong on our side"),
    ],
)
def test_error_pages_render_without_static_files(prod_without_static, url, status, heading):
    assert_friendly(prod_without_static.get(url), status, heading)


def test_410_and_429_render_without_static_files(prod_without_static, settings):
    link, token = link_create(patient=PatientFactory(), purpose="questionnaire", days=1)
    PrivateLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert_friendly(prod_without_static.get(f"/test-gate/{token}/"), 410, "This link has expired")
    settings.RATE_LIMITS = {"referral-post": (1, 600)}
    prod_without_static.post("/refer/", {})
    response = prod_without_static.post("/refer/", {})
    assert_friendly(response, 429, "Please wait a little")
    assert response["Retry-After"] == "600"


def test_the_500_page_falls_back_to_bare_html_when_it_cannot_render(prod, monkeypatch):
    def broken_render(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr("clinic.views.render", broken_render)
    response = prod.get("/test-boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, something went wrong on our side" in html
    for leak in LEAKS:
        assert leak not in html, leak


def test_production_uses_the_forgiving_manifest_storage():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'])"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == PRODUCTION_STATIC
