"""The patient's pages: progress, required answers, conditional questions, back, review."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client

from intake.models import QuestionnaireRequest
from tests.factories import instrument, sent_check

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"


def open_check(codes=("ms_symptoms", "phq9")) -> tuple[Client, str, QuestionnaireRequest]:
    qreq, url = sent_check(codes=codes)
    base = url.replace("https://chairside.test", "")
    client = Client()
    assert client.post(base, {"date_of_birth": DOB}).status_code == 302
    return client, base, qreq


def test_each_page_shows_its_step_and_the_total(client):
    client, base, _ = open_check()
    body = client.get(f"{base}step/1/").content.decode()
    assert "Step 1 of 5" in body  # 3 symptom pages + PHQ-9 + check your answers
    assert 'max="5" value="1"' in body
    assert "Step 4 of 5" in client.get(f"{base}step/4/").content.decode()


def test_phq9_page_shows_the_published_wording_and_attribution():
    client, base, _ = open_check(codes=("phq9",))
    body = client.get(f"{base}step/1/").content.decode()
    assert "Over the last 2 weeks, how often have you been bothered by any of the following" in body
    assert "Thoughts that you would be better off dead or of hurting yourself in some way" in body
    assert "Spitzer, Janet B.W. Williams, Kurt Kroenke" in body
    assert "Pfizer" in body


def test_continue_with_missing_answers_stays_on_the_page_with_an_error_summary():
    client, base, _ = open_check(codes=("phq9",))
    response = client.post(f"{base}step/1/", {"phq9_1": "1", "action": "next"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_phq9_2_0"' in body
    assert "Answer this question to continue." in body
    # The answer given is kept on the page.
    assert 'value="1" checked' in body


def test_the_optional_question_does_not_block():
    client, base, _ = open_check(codes=("phq9",))
    data = {f"phq9_{i}": "0" for i in range(1, 10)}
    response = client.post(f"{base}step/1/", data | {"action": "next"})
    assert response.status_code == 302
    assert response["Location"].endswith("/review/")


def test_follow_up_questions_are_required_only_when_they_apply():
    client, base, qreq = open_check(codes=("ms_symptoms",))
    no = client.post(f"{base}step/3/", {"new_symptom": "0", "action": "next"})
    assert no.status_code == 302
    yes = client.post(f"{base}step/3/", {"new_symptom": "1", "action": "next"})
    assert yes.status_code == 200
    assert "There is a problem" in yes.content.decode()
    done = client.post(
        f"{base}step/3/",
        {
            "new_symptom": "1",
            "new_symptom_domain": "visual",
            "new_symptom_since": "2026-11-20",
            "action": "next",
        },
    )
    assert done.status_code == 302
    # Answering "no" afterwards drops the follow-up answers.
    client.post(f"{base}step/3/", {"new_symptom": "0", "action": "next"})
    qreq.refresh_from_db()
    draft = qreq.draft[str(instrument("ms_symptoms").pk)]
    assert "new_symptom_domain" not in draft and draft["new_symptom"] == 0


def test_back_keeps_the_answers_without_requiring_the_rest():
    client, base, qreq = open_check()
    response = client.post(f"{base}step/2/", {"cognitive_severity": "4", "action": "back"})
    assert response.status_code == 302
    assert response["Location"].endswith("/step/1/")
    qreq.refresh_from_db()
    assert qreq.draft[str(instrument("ms_symptoms").pk)]["cognitive_severity"] == 4
    first = client.post(f"{base}step/1/", {"action": "back"})
    assert first["Location"] == base


def test_an_answer_outside_the_choices_is_refused():
    client, base, qreq = open_check(codes=("phq9",))
    response = client.post(f"{base}step/1/", {"phq9_9": "7", "action": "save"})
    assert response.status_code == 200
    qreq.refresh_from_db()
    assert qreq.draft == {}


def test_submit_revalidates_every_page_and_sends_the_patient_to_the_first_gap():
    client, base, qreq = open_check()
    # Page 2 only partly answered, saved for later; pages 1, 3 and 4 complete.
    client.post(f"{base}step/2/", {"cognitive_severity": "4", "action": "save"})
    domains = ["fatigue", "motor", "sensory", "visual"]
    client.post(
        f"{base}step/1/",
        {f"{d}_severity": "1" for d in domains}
        | {f"{d}_change": "same" for d in domains}
        | {"action": "next"},
    )
    client.post(f"{base}step/3/", {"new_symptom": "0", "action": "next"})
    client.post(f"{base}step/4/", {f"phq9_{i}": "0" for i in range(1, 10)} | {"action": "next"})
    response = client.post(f"{base}review/")
    assert response.status_code == 302
    assert response["Location"] == f"{base}step/2/?check=1"
    page = client.get(response["Location"]).content.decode()
    assert "There is a problem" in page
    assert "Answer this question to continue." in page
    qreq.refresh_from_db()
    assert qreq.status == "started"
    assert not qreq.responses.exists()


def test_review_page_lists_the_answers_as_chosen():
    client, base, _ = open_check(codes=("phq9",))
    client.post(f"{base}step/1/", {f"phq9_{i}": "2" for i in range(1, 10)} | {"action": "next"})
    body = client.get(f"{base}review/").content.decode()
    assert "More than half the days" in body
    assert "Change these answers" in body


def test_a_step_outside_the_check_goes_back_to_the_start():
    client, base, _ = open_check(codes=("phq9",))
    assert client.get(f"{base}step/9/")["Location"] == base
    assert client.get(f"{base}step/0/")["Location"] == base


def test_answers_are_kept_on_the_server_not_in_cookies():
    client, base, qreq = open_check(codes=("phq9",))
    client.post(f"{base}step/1/", {"phq9_9": "3", "phq9_1": "2", "action": "save"})
    qreq.refresh_from_db()
    assert qreq.draft[str(instrument("phq9").pk)] == {"phq9_9": 3, "phq9_1": 2}
    assert set(client.cookies) <= {"sessionid", "csrftoken", "django_language"}
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=client.cookies["sessionid"].value).load()
    assert "phq9_9" not in str(session)


def test_the_start_page_resumes_at_the_first_unfinished_page():
    client, base, _ = open_check()
    domains = ["fatigue", "motor", "sensory", "visual"]
    client.post(
        f"{base}step/1/",
        {f"{d}_severity": "1" for d in domains}
        | {f"{d}_change": "same" for d in domains}
        | {"action": "save"},
    )
    body = Client()
    assert body.post(base, {"date_of_birth": DOB}).status_code == 302
    start = body.get(base).content.decode()
    assert "Continue where you left off" in start
    assert f"{base}step/2/" in start
