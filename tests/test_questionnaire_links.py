"""Must show 5: bad links get a clear page with 404/410 (never a 500), and no health data
appears in any URL, email subject or log line."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clinic.links import link_create
from clinic.models import PrivateLink
from intake.models import Flag
from tests.factories import OnCallShiftFactory, PatientFactory, UserFactory, sent_check

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"
PAGES = ["", "step/1/", "step/3/", "review/", "saved/", "done/"]


def verified(url: str) -> Client:
    client = Client()
    assert client.post(url, {"date_of_birth": DOB}).status_code == 302
    return client


def path_of(url: str) -> str:
    return url.replace("https://chairside.test", "")


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_token_answers_404_with_a_clear_page(client, page):
    response = client.get(f"/q/{'x' * 43}/{page}")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()


@pytest.mark.parametrize("token", ["a", "%00", "x" * 500, "..", "ä"])
def test_odd_tokens_are_404_not_500(client, token):
    assert client.get(f"/q/{token}/").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_an_expired_link_answers_410(client, page):
    qreq, url = sent_check()
    PrivateLink.objects.filter(pk=qreq.link_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(path_of(url) + page)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_a_revoked_link_answers_410(client):
    qreq, url = sent_check()
    PrivateLink.objects.filter(pk=qreq.link_id).update(revoked_at=timezone.now())
    assert client.get(path_of(url)).status_code == 410


def test_a_submitted_link_answers_410_already_sent_even_to_a_new_session():
    _qreq, url = sent_check(codes=("gad7",))
    client = verified(path_of(url))
    base = path_of(url)
    client.post(f"{base}step/1/", {f"gad7_{i}": "0" for i in range(1, 8)} | {"action": "next"})
    assert client.post(f"{base}review/").status_code == 302
    for page in ["", "step/1/", "review/", "saved/"]:
        response = Client().get(base + page)
        assert response.status_code == 410
        assert "already been sent" in response.content.decode()
    assert client.post(f"{base}step/1/", {"gad7_1": "3", "action": "next"}).status_code == 410


def test_a_link_for_another_purpose_does_not_open_a_questionnaire(client):
    _link, token = link_create(
        patient=PatientFactory(), purpose=PrivateLink.Purpose.MANAGE, days=14
    )
    assert client.get(f"/q/{token}/").status_code == 404


def test_no_questionnaire_page_is_shown_before_the_date_of_birth(client):
    _qreq, url = sent_check()
    for page in PAGES[1:]:
        body = client.get(path_of(url) + page).content.decode()
        assert "Check it&#x27;s you" in body or "Check it's you" in body
        assert "PHQ" not in body


def test_no_health_data_in_urls_email_subjects_or_log_lines(
    caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    OnCallShiftFactory(
        clinician=UserFactory(email="oncall@staff.chairside.test"),
        starts_at=timezone.now() - timedelta(hours=1),
    )
    patient = PatientFactory(
        email="person@example.test", legal_given_name="Zebedee", legal_family_name="Quixotic"
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent_check(patient=patient, codes=("safety_check", "phq9"), email=True)
    (invitation,) = mail.outbox
    base = re.search(r"https://chairside\.test(/q/[\w-]+/)", invitation.body).group(1)
    client = verified(base)
    visited = [base]
    answers = {
        1: {
            "fever_infection": "1",
            "antibiotics": "1",
            "vaccine": "0",
            "pregnant": "1",
            "reaction_last": "0",
            "new_neuro": "1",
        },
        2: {f"phq9_{i}": "3" for i in range(1, 10)},
    }
    for step, data in answers.items():
        response = client.post(f"{base}step/{step}/", data | {"action": "next"})
        visited += [f"{base}step/{step}/", response["Location"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}review/")
    visited.append(response["Location"])
    assert Flag.objects.filter(level="urgent").count() >= 2

    for visited_url in visited:
        assert re.fullmatch(r"/q/[\w-]+/((step/\d+/)|review/|saved/|done/)?", visited_url)

    forbidden = [
        "Zebedee",
        "Quixotic",
        "1980",
        DOB,
        "phq",
        "PHQ",
        "depress",
        "self-harm",
        "fever",
        "infection",
        "pregnan",
        "natalizumab",
        "hurting",
        "dead",
        "Nearly every day",
        *[f.label for f in Flag.objects.all()],
        *[f.rule for f in Flag.objects.all()],
    ]
    assert len(mail.outbox) == 2  # the invitation and the on-call notice
    for message in mail.outbox:
        for word in forbidden:
            assert word not in message.subject, (word, message.subject)
            assert word not in message.body, (word, message.body)
    # Everything the app and Django log (factory_boy's own debug output is test set-up).
    log_text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("factory"))
    assert "submitted" in log_text
    for word in forbidden:
        assert word not in log_text, word
