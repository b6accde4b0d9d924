"""PHQ-9 item 9 above 0: the patient sees 988 (call or text) or 911, in their language, on
the next page and the finished page; the staff flag page and the on-call notice say so."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from clinic.models import Notice
from intake.admin.flags import crisis_texts
from intake.crisis import crisis_text_in
from intake.models import Flag
from intake.notices import FLAG_PAGE, render_flag_page
from tests.factories import OnCallShiftFactory, PatientFactory, UserFactory, sent_check
from tests.test_questionnaire_end_to_end import all_steps

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"
EN = "call or text 988"
ES = "llame o envíe un mensaje de texto al 988"


def _client(language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    return client


def _answer(language: str, item9: int) -> tuple[Client, str, list[str]]:
    patient = PatientFactory(preferred_language=language)
    _qreq, url = sent_check(patient=patient)
    link = re.sub(r"^https?://[^/]+", "", url)
    client = _client(language)
    assert client.post(link, {"date_of_birth": DOB}).status_code == 302
    pages = []
    for number, answers in all_steps(item9=item9, fever=0).items():
        response = client.post(f"{link}step/{number}/", {**answers, "action": "next"})
        assert response.status_code == 302
        pages.append(client.get(response["Location"]).content.decode())
    return client, link, pages


@pytest.mark.parametrize(("language", "text"), [("en", EN), ("es", ES)])
def test_item_9_above_0_shows_988_on_the_next_page_and_the_finished_page(language, text):
    client, link, pages = _answer(language, item9=1)
    # Pages 1-5 come before the PHQ-9 is answered; the GAD-7 page (after it) and review.
    assert [text in page for page in pages] == [False] * 4 + [True, True]
    assert "911" in pages[-1]
    assert client.post(f"{link}review/").status_code == 302
    done = client.get(f"{link}done/").content.decode()
    assert text in done and "911" in done


def test_item_9_at_0_shows_no_crisis_text():
    client, link, pages = _answer("en", item9=0)
    assert not any(EN in page for page in pages)
    client.post(f"{link}review/")
    assert EN not in client.get(f"{link}done/").content.decode()


def test_the_flag_page_and_the_on_call_notice_say_the_patient_was_shown_it(
    django_capture_on_commit_callbacks, settings
):
    settings.ONCALL_WEBHOOK_URL = "https://events.example.test/v2/enqueue"
    settings.ONCALL_WEBHOOK_KEY = "test-key"
    OnCallShiftFactory(clinician=UserFactory(email="oncall@staff.chairside.test"))
    with django_capture_on_commit_callbacks(execute=True):
        client, link, _pages = _answer("es", item9=2)
        client.post(f"{link}review/")
    flag = Flag.objects.get(rule="phq9_item9")
    assert crisis_texts(flag) == [crisis_text_in("es")]
    assert ES in crisis_texts(flag)[0]
    body = mail.outbox[-1].body
    assert "The patient was shown the crisis text on screen: call or text 988" in body
    # The pager (a third party) gets the link only, never what was answered.
    page = Notice.objects.filter(kind=FLAG_PAGE).first()
    assert page is not None
    assert "988" not in str(render_flag_page(page).event)


def test_a_flag_without_item_9_shows_no_crisis_text_to_staff(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client, link, _pages = _answer("en", item9=0)
        client.post(f"{link}review/")
    for flag in Flag.objects.all():
        assert crisis_texts(flag) == []
