"""A Spanish-speaking patient's questionnaire and manage pages, and their emails, are Spanish.

Each page is rendered in Spanish and scanned for the English msgids of the .po file and for
English prose (see test_i18n_untranslated); questionnaire wording comes from the Spanish
overlays in intake/instruments/es/.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from intake import instruments as defs
from intake.instruments.translations import localized, overlay, untranslated
from scheduling.booking import session_book
from scheduling.models import Session
from scheduling.reminders import reminders_send
from tests.factories import PatientFactory, clinic_week, ready_course, sent_check
from tests.test_i18n_untranslated import english_left_in, visible_text

NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth
SPANISH_MONTHS = re.compile(
    r"\b(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
    r"|diciembre)\b"
)


def _spanish_client() -> Client:
    client = Client(headers={"accept-language": "es"})
    client.cookies["django_language"] = "es"
    return client


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _assert_spanish(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert '<html lang="es">' in html
    text = visible_text(html)
    assert english_left_in(text) == [], response.request["PATH_INFO"]
    return text


# --- Instrument wording -------------------------------------------------------------------


@pytest.mark.parametrize("path", defs.definition_files(), ids=lambda p: p.stem)
def test_every_shipped_instrument_has_complete_spanish_wording(path):
    definition = defs.definition_read(path)
    assert untranslated(definition, "es") == []


@pytest.mark.parametrize("path", defs.definition_files(), ids=lambda p: p.stem)
def test_the_spanish_wording_names_only_items_that_exist(path):
    definition = defs.definition_read(path)
    words = overlay("es", definition["code"])
    assert set(words.get("items", {})) <= set(defs.item_map(definition))
    assert set(words.get("pages", {})) <= {page["id"] for page in definition["pages"]}


def test_a_translation_changes_wording_but_never_values():
    # The clinic's own safety check (the PHQ-9's Spanish version is unavailable:
    # tests/test_spanish_instruments.py).
    definition = defs.definition_read(defs.DEFINITIONS_DIR / "safety_check.json")
    spanish = localized(definition, "es")
    assert spanish["pages"][0]["title"] != definition["pages"][0]["title"]
    assert [c["value"] for c in spanish["choice_sets"]["yes_no"]] == [1, 0]
    assert spanish["scores"] == definition["scores"]
    assert localized(definition, "en") is definition


# --- Questionnaire pages --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_spanish_speaking_patients_questionnaire_pages_are_in_spanish():
    patient = PatientFactory(preferred_language="es")
    _qreq, url = sent_check(patient=patient, codes=("safety_check", "ms_symptoms"))
    link = _path(url)
    client = _spanish_client()

    gate = _assert_spanish(client.get(link))
    assert "Confirme que es usted" in gate
    wrong = _assert_spanish(client.post(link, {"date_of_birth": "1999-01-01"}))
    assert "no coincide" in wrong
    assert client.post(link, {"date_of_birth": DOB}).status_code == 302

    start = _assert_spanish(client.get(link))
    assert "Control de seguridad antes de la infusión" in start
    step = _assert_spanish(client.get(f"{link}step/1/"))
    assert "¿Tiene fiebre o alguna infección" in step
    errors = _assert_spanish(client.post(f"{link}step/1/", {"action": "next"}))
    assert "Responda esta pregunta para continuar." in errors
    answers = {
        "action": "next",
        "fever_infection": "0",
        "antibiotics": "0",
        "vaccine": "0",
        "pregnant": "9",
        "reaction_last": "0",
        "new_neuro": "0",
    }
    assert client.post(f"{link}step/1/", answers).status_code == 302
    scales = _assert_spanish(client.get(f"{link}step/2/"))
    assert "Lo peor que se pueda imaginar" in scales
    for number in (3, 4):
        _assert_spanish(client.get(f"{link}step/{number}/"))
    assert client.post(f"{link}step/2/", {"action": "save"}).status_code == 302
    _assert_spanish(client.get(f"{link}saved/"))
    review = _assert_spanish(client.get(f"{link}review/"))
    assert "No se aplica a mi caso" in review


@pytest.mark.django_db
def test_the_questionnaire_done_page_is_in_spanish():
    patient = PatientFactory(preferred_language="es")
    _qreq, url = sent_check(patient=patient, codes=("safety_check",))
    link = _path(url)
    client = _spanish_client()
    client.post(link, {"date_of_birth": DOB})
    answers = {
        "action": "next",
        "fever_infection": "0",
        "antibiotics": "0",
        "vaccine": "0",
        "pregnant": "0",
        "reaction_last": "0",
        "new_neuro": "0",
    }
    client.post(f"{link}step/1/", answers)
    assert client.post(f"{link}review/").status_code == 302
    done = _assert_spanish(client.get(f"{link}done/"))
    assert "Gracias: sus respuestas se enviaron" in done


@pytest.mark.django_db(transaction=False)
def test_a_spanish_speaking_patients_questionnaire_email_is_in_spanish(
    django_capture_on_commit_callbacks,
):
    patient = PatientFactory(preferred_language="es", email="paciente@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        sent_check(patient=patient, codes=("safety_check",), email=True)
    (invite,) = [m for m in mail.outbox if m.to == ["paciente@example.test"]]
    assert invite.subject == "Complete su control antes de la visita"
    assert "Se le pedirá su fecha de nacimiento" in invite.body
    assert SPANISH_MONTHS.search(invite.body)
    assert english_left_in(invite.body) == []


# --- Manage pages and emails ------------------------------------------------------------------


def _session(email: str = "", language: str = "es") -> Session:
    chairs = clinic_week(chairs=3, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=6)
    patient = PatientFactory(preferred_language=language, email=email)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    start = datetime.combine(day, time(9, 0), tzinfo=NY)
    return session_book(dose=course.doses.get(sequence=1), chair=chairs[0], start=start)


def _manage_link(session: Session) -> str:
    from clinic.links import link_create
    from clinic.models import PrivateLink

    _row, token = link_create(
        patient=session.course.patient, purpose=PrivateLink.Purpose.MANAGE, days=30
    )
    return f"/my/{token}/"


@pytest.mark.django_db
def test_a_spanish_speaking_patients_manage_pages_are_in_spanish():
    session = _session()
    link = _manage_link(session)
    client = _spanish_client()
    _assert_spanish(client.get(link))
    assert client.post(link, {"date_of_birth": DOB}).status_code == 302

    manage = _assert_spanish(client.get(link))
    assert "Sus citas" in manage
    # The clinic's local time, in Spanish: 09:00 New York, whatever the server's zone.
    assert SPANISH_MONTHS.search(manage)
    assert "09:00" in manage
    _assert_spanish(client.get(f"{link}{session.pk}/reschedule/"))
    _assert_spanish(client.get(f"{link}{session.pk}/cancel/"))
    confirmed = client.post(f"{link}{session.pk}/confirm/", follow=True)
    assert "Gracias: su asistencia está confirmada." in _assert_spanish(confirmed)


@pytest.mark.django_db
def test_a_spanish_speaking_patients_booking_and_reminder_emails_are_in_spanish(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        session = _session(email="paciente@example.test")
    (booked,) = [m for m in mail.outbox if m.to == ["paciente@example.test"]]
    assert booked.subject.startswith("Sus citas en ")
    assert "Estas son sus citas" in booked.body
    assert SPANISH_MONTHS.search(booked.body)
    assert "09:00" in booked.body
    assert english_left_in(booked.body) == []

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=session.start - timedelta(days=1))
    (reminder,) = mail.outbox
    assert reminder.subject.startswith("Su cita en ")
    assert "Tiene una cita en" in reminder.body
    assert english_left_in(reminder.body) == []


@pytest.mark.django_db
def test_an_english_browser_gets_the_manage_page_in_english():
    """The page follows the browser (or the switch); the emails follow the patient's record."""
    session = _session(language="en")
    link = _manage_link(session)
    client = Client(headers={"accept-language": "en-US"})
    client.post(link, {"date_of_birth": DOB})
    assert "Your appointments" in client.get(link).content.decode()


@pytest.mark.django_db
def test_a_spanish_speaking_patients_calendar_file_is_in_spanish():
    session = _session()
    link = _manage_link(session)
    client = _spanish_client()
    client.post(link, {"date_of_birth": DOB})
    ics = client.get(f"{link}{session.pk}/appointment.ics").content.decode()
    assert "SUMMARY:Cita en " in ics
    assert "Appointment at" not in ics
