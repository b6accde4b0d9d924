"""Every date a patient reads has its weekday, in their language; no raw timestamps; clean stops.

Pages, emails and reminders, in English and Spanish, around a visit at 8 a.m.: a sentence
that ends on a time ("8 a.m.") must not get a second full stop, and Spanish questions and
exclamations open with their inverted marks.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from scheduling import planning
from scheduling.booking import course_book, session_book
from scheduling.reminders import reminders_send
from tests.factories import PatientFactory, clinic_week, ready_course, sent_check
from tests.test_i18n_untranslated import po_entries, spanish_client, visible_text

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
DOB = "1980-03-27"  # PatientFactory's date of birth

DATES = {
    "en": re.compile(
        r"(?:(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), )?"
        r"\b(?:Jan\.|Feb\.|March|April|May|June|July|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.) \d{1,2}, "
        r"\d{4}"
    ),
    "es": re.compile(
        r"(?:(?P<weekday>lunes|martes|miércoles|jueves|viernes|sábado|domingo), )?"
        r"\b\d{1,2} de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
        r"|noviembre|diciembre) de \d{4}"
    ),
}
RAW_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|[+-]\d{2}:\d{2}\b|\bUTC\b")
DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)|\s[.,;:]")


def _client(language: str) -> Client:
    return spanish_client() if language == "es" else Client()


def _verified(patient, purpose: str, language: str) -> tuple[Client, str]:
    _row, token = link_create(patient=patient, purpose=purpose, days=30)
    prefix = "my" if purpose == PrivateLink.Purpose.MANAGE else "q"
    client = _client(language)
    assert client.post(f"/{prefix}/{token}/", {"date_of_birth": DOB}).status_code == 302
    return client, f"/{prefix}/{token}/"


def _texts(language: str, django_capture_on_commit_callbacks) -> dict[str, str]:
    """Return what a patient reads around an 8 a.m. visit: pages, messages and emails."""
    # Only 08:00 starts, so every time offered, booked or moved to is 8 a.m.
    clinic_week(chairs=2, nurses=2, opens="08:00", last_start="08:00", weekdays=range(7))
    patient = PatientFactory(preferred_language=language, email="patient@example.test")
    day = timezone.localdate(timezone=NY) + timedelta(days=5)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        session = session_book(
            dose=course.doses.get(sequence=1),
            chair=planning.Chair.objects.first(),
            start=datetime.combine(day, time(8), tzinfo=NY),
        )
    texts = {"booking email": mail.outbox[-1].body}
    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=session.start - timedelta(days=1))
    texts["reminder email"] = mail.outbox[-1].body

    client, url = _verified(patient, PrivateLink.Purpose.MANAGE, language)
    texts["appointments page"] = client.get(url).content.decode()
    texts["cancel page"] = client.get(f"{url}{session.pk}/cancel/").content.decode()
    reschedule = client.get(f"{url}{session.pk}/reschedule/")
    texts["reschedule page"] = reschedule.content.decode()
    pick = reschedule.context["form"].fields["pick"].choices[0][0]
    moved = client.post(f"{url}{session.pk}/reschedule/", {"pick": pick}, follow=True)
    texts["moved message"] = moved.content.decode()

    pulse = ready_course("methylprednisolone", start_after=day + timedelta(days=9), patient=patient)
    (plan, *_) = planning.course_plans(doses=planning.block_doses(pulse.doses.get(sequence=1)))
    first_day = course_book(choices=plan, notify=False)[0]
    texts["series page"] = client.get(f"{url}{first_day.pk}/reschedule/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        qreq, _url = sent_check(patient=patient, codes=("safety_check",), email=True)
    texts["questionnaire email"] = mail.outbox[-1].body
    # The emailed link is made when the email is sent (its token is stored nowhere).
    q_url = re.search(r"https://chairside\.test/q/[\w-]+/", mail.outbox[-1].body).group(0)
    qreq.refresh_from_db()
    eight = datetime.combine(day + timedelta(days=20), time(8), tzinfo=NY)
    PrivateLink.objects.filter(pk=qreq.link_id).update(expires_at=eight)
    q_client, q_path = _client(language), q_url.replace("https://chairside.test", "")
    assert q_client.post(q_path, {"date_of_birth": DOB}).status_code == 302
    texts["saved page"] = q_client.get(f"{q_path}saved/").content.decode()
    return {name: visible_text(text) if "<html" in text else text for name, text in texts.items()}


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_date_a_patient_reads_has_its_weekday(language, django_capture_on_commit_callbacks):
    texts = _texts(language, django_capture_on_commit_callbacks)
    for name, text in texts.items():
        dates = list(DATES[language].finditer(text))
        assert dates, f"{name}: no date found"
        assert all(d["weekday"] for d in dates), (name, [d[0] for d in dates])


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_patient_page_or_email_shows_a_raw_timestamp(
    language, django_capture_on_commit_callbacks
):
    for name, text in _texts(language, django_capture_on_commit_callbacks).items():
        assert not RAW_TIMESTAMP.search(text), (name, RAW_TIMESTAMP.search(text)[0])


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_sentence_ending_on_a_time_has_one_full_stop(
    language, django_capture_on_commit_callbacks
):
    # Before: "Your appointment is now on Monday, Dec. 7, 2026, 8 a.m.."
    texts = _texts(language, django_capture_on_commit_callbacks)
    if language == "en":
        assert "8 a.m." in texts["moved message"]
    for name, text in texts.items():
        found = DOUBLED_STOP.search(text)
        assert not found, (name, text[max(found.start() - 40, 0) : found.end() + 10])


def test_spanish_questions_and_exclamations_open_with_inverted_marks():
    for _msgid, msgstr, _fuzzy in po_entries():
        assert msgstr.count("¿") == msgstr.count("?"), msgstr
        assert msgstr.count("¡") == msgstr.count("!"), msgstr


def test_each_spanish_string_ends_as_its_english_one_does():
    # Full stops, questions and exclamations carry over; a letter's "Hello," is "Hola:".
    for msgid, msgstr, _fuzzy in po_entries():
        english = msgid.rstrip()[-1:]
        for form in msgstr.split(" | "):
            spanish = form.rstrip()[-1:]
            strong = (english if english in ".?!" else "", spanish if spanish in ".?!" else "")
            assert strong[0] == strong[1], (msgid, form)
        assert not DOUBLED_STOP.search(msgstr), msgstr
