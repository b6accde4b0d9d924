"""The referral path in the patient's language: chosen from the browser or the switch."""

from __future__ import annotations

import pytest
from django.core import mail

from intake.models import Referral
from tests.factories import referral_form_data

pytestmark = pytest.mark.django_db


def test_a_spanish_browser_gets_the_referral_form_in_spanish(client):
    response = client.get("/refer/", headers={"accept-language": "es-MX,es;q=0.9,en;q=0.5"})
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Referir a un paciente para tratamiento de infusión" in html
    assert response["Content-Language"] == "es"


def test_an_english_browser_gets_the_referral_form_in_english(client):
    response = client.get("/refer/", headers={"accept-language": "en-US,en;q=0.9"})
    assert "Refer a patient for infusion treatment" in response.content.decode()


def test_the_language_switch_is_remembered_on_later_pages(client):
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/refer/"})
    assert response.status_code == 302
    assert response.url == "/refer/"
    assert client.cookies["django_language"].value == "es"
    # An English browser still gets Spanish: the patient's choice wins.
    later = client.get("/", headers={"accept-language": "en-US"})
    assert "Damos tratamientos de infusión" in later.content.decode()


def test_the_language_choice_outlives_the_browser_session(client):
    """Patients come back days later from an emailed link: the cookie lasts a year."""
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    cookie = client.cookies["django_language"]
    assert int(cookie["max-age"]) >= 300 * 24 * 60 * 60
    assert cookie["samesite"] == "Lax"


def test_the_switch_can_go_back_to_english(client):
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "We give infusion treatments" in client.get("/").content.decode()


def test_the_referral_errors_are_in_spanish(client):
    data = referral_form_data(provider_npi="1234567890", date_of_birth="")
    response = client.post("/refer/", data, headers={"accept-language": "es"})
    html = response.content.decode()
    assert "Hay un problema" in html
    assert "El dígito de control de este NPI no es correcto" in html
    # Django's own messages come from Django's Spanish catalogue.
    assert "Este campo es obligatorio." in html


def test_a_spanish_speaking_patients_confirmation_is_in_spanish(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/refer/",
            referral_form_data(preferred_language="es"),
            headers={"accept-language": "es"},
        )
    assert response.status_code == 302
    referral = Referral.objects.get()
    page = client.get(response.url, headers={"accept-language": "es"}).content.decode()
    assert "Referido recibido" in page
    assert referral.reference in page
    confirmation = next(m for m in mail.outbox if m.to == ["office@example.test"])
    assert confirmation.subject == f"Referido recibido: {referral.reference}"
    assert "Gracias. Recibimos su referido." in confirmation.body
    assert "Thank you" not in confirmation.body


def test_the_email_follows_the_referrals_language_not_the_browsers(
    client, django_capture_on_commit_callbacks
):
    """An English-speaking office using a Spanish browser still gets English emails."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/refer/",
            referral_form_data(preferred_language="en"),
            headers={"accept-language": "es"},
        )
    confirmation = next(m for m in mail.outbox if m.to == ["office@example.test"])
    assert confirmation.subject.startswith("Referral received: ")
    assert "We have received your referral" in confirmation.body


def test_a_spanish_patients_email_is_spanish_even_from_an_english_browser(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/refer/",
            referral_form_data(preferred_language="es"),
            headers={"accept-language": "en-US"},
        )
    confirmation = next(m for m in mail.outbox if m.to == ["office@example.test"])
    assert confirmation.subject.startswith("Referido recibido: ")


def test_the_intake_teams_notice_stays_english(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/refer/", referral_form_data(preferred_language="es"))
    notice = next(m for m in mail.outbox if m.to != ["office@example.test"])
    assert notice.subject.startswith("New referral ")


def test_the_staff_admin_stays_english_for_a_spanish_browser(client, coordinator):
    client.force_login(coordinator)
    client.cookies["django_language"] = "es"
    response = client.get("/admin/", headers={"accept-language": "es"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en"' in html
    assert "Log out" in html
    assert "Terminar sesión" not in html


def test_the_admin_login_page_stays_english_for_a_spanish_browser(client):
    response = client.get("/admin/login/", headers={"accept-language": "es"})
    assert '<html lang="en"' in response.content.decode()
