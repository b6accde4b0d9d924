"""No page with health data can be stored by a shared cache (or shown by a back button).

Staff pages (/admin/, /staff/) and every page of a patient's private link (/q/, /my/),
before and after the date of birth, answer `Cache-Control: no-store, private`, whatever the
view did; the structural test below keeps new URLs from slipping outside those prefixes.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.links import link_create
from clinic.models import PrivateLink
from intake.models import ReferralDocument
from tests.factories import PDF_BYTES, PatientFactory, referral_form_data, sent_check
from tests.test_manage_link_pages import _link, _session, _verified

DOB = "1980-03-27"

# Public pages: no health data, no patient's or staff member's session behind them.
PUBLIC_ROUTES = {"", "healthz", "i18n/setlang/", "refer/", "refer/thanks/"}


def storable_by_a_shared_cache(response) -> bool:
    control = {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")}
    return not control & {"no-store", "private"}


def assert_not_stored(response) -> None:
    assert not storable_by_a_shared_cache(response), response.get("Cache-Control")
    assert "no-store" in response["Cache-Control"]


def _routes(patterns: list, prefix: str = "") -> list[str]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(prefix + str(pattern.pattern))
    return found


def test_every_route_is_public_or_under_a_no_store_prefix():
    prefixes = tuple(p.lstrip("/") for p in settings.NO_STORE_PATH_PREFIXES)
    outside = [
        route
        for route in _routes(get_resolver().url_patterns)
        if route not in PUBLIC_ROUTES and not route.lstrip("^").startswith(prefixes)
    ]
    assert outside == []


@pytest.mark.django_db
def test_the_verified_appointments_page_and_its_calendar_file_are_not_stored():
    session = _session()
    url = _link(session)
    patient = _verified(url)
    assert_not_stored(patient.get(url))
    assert_not_stored(patient.get(f"{url}{session.pk}/appointment.ics"))
    assert_not_stored(patient.get(f"{url}{session.pk}/reschedule/"))


@pytest.mark.django_db
def test_every_questionnaire_page_is_not_stored():
    _qreq, full_url = sent_check(codes=("phq9",))
    url = full_url.split("chairside.test", 1)[1]
    patient = Client()
    assert_not_stored(patient.get(url))  # the date-of-birth form
    assert_not_stored(patient.post(url, {"date_of_birth": "1990-01-01"}))
    assert_not_stored(patient.post(url, {"date_of_birth": DOB}))
    for page in (url, f"{url}step/1/", f"{url}review/", f"{url}saved/"):
        assert_not_stored(patient.get(page))


@pytest.mark.django_db
def test_link_error_pages_are_not_stored(client):
    link, token = link_create(patient=PatientFactory(), purpose="manage", days=1)
    PrivateLink.objects.filter(pk=link.pk).update(failed_attempts=9)
    assert_not_stored(client.post(f"/my/{token}/", {"date_of_birth": "1990-01-01"}))  # locked
    assert_not_stored(client.get("/my/no-such-token/"))


@pytest.mark.django_db
def test_staff_pages_with_health_data_are_not_stored(client, coordinator, superuser):
    client.post(
        "/refer/",
        {
            **referral_form_data(),
            "documents_order": SimpleUploadedFile("o.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    document = ReferralDocument.objects.get()
    patient = PatientFactory()
    client.force_login(superuser)
    for url in (
        "/admin/",
        "/admin/intake/referral/",
        f"/admin/intake/referral/{document.referral_id}/change/",
        f"/admin/clinic/patient/{patient.pk}/change/",
        f"/admin/clinic/patient/{patient.pk}/history/",
        "/admin/clinic/accesslog/",
        f"/staff/documents/{document.pk}/",
        "/admin/intake/referral/999999/change/",
    ):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert_not_stored(response)


@pytest.mark.django_db
def test_the_sign_in_page_and_its_lockout_are_not_stored(client):
    assert_not_stored(client.get("/admin/login/"))
    for _ in range(6):
        response = client.post("/admin/login/", {"username": "nurse", "password": "nope-nope-1"})
    assert response.status_code == 429
    assert_not_stored(response)


@pytest.mark.django_db
def test_the_checker_itself_tells_storable_from_not(client):
    assert storable_by_a_shared_cache(client.get("/"))
    assert not storable_by_a_shared_cache(client.get("/refer/"))
