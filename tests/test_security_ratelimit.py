"""Rate limits: referral posts per address; wrong dates of birth per address, over all links.

Each link's own budget (10 wrong answers in total, counted in the database) is in
test_private_link_budget.py.
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from clinic.links import link_create, private_link
from clinic.models import PrivateLink
from clinic.ratelimit import rate_limit_hit
from intake.models import Referral
from tests.factories import PatientFactory, referral_form_data


@private_link(purpose=PrivateLink.Purpose.QUESTIONNAIRE)
def gate_view(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
    return HttpResponse("behind the gate")


urlpatterns = [path("test-gate/<str:token>/", gate_view), path("", include("clinic.urls"))]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

WRONG_DOB = {"date_of_birth": "1990-01-01"}
RIGHT_DOB = {"date_of_birth": "1980-03-27"}


def new_link() -> str:
    _link, token = link_create(patient=PatientFactory(), purpose="questionnaire", days=7)
    return token


def test_the_counter_allows_the_limit_then_refuses(settings):
    settings.RATE_LIMITS = {"referral-post": (3, 60)}
    hits = [rate_limit_hit(scope="referral-post", ident="198.51.100.1") for _ in range(5)]
    assert hits == [False, False, False, True, True]
    assert rate_limit_hit(scope="referral-post", ident="198.51.100.2") is False


def test_the_cache_keys_do_not_hold_the_address_in_the_clear():
    from clinic.ratelimit import _key

    assert "198.51.100.1" not in _key("referral-post", "198.51.100.1")


def test_referral_posts_are_limited_per_address(client, settings):
    settings.RATE_LIMITS = {"referral-post": (3, 3600)}
    for _ in range(3):
        assert client.post(
            "/refer/", {"given_name": "x"}, REMOTE_ADDR="198.51.100.1"
        ).status_code in (
            200,
            400,
        )
    response = client.post("/refer/", referral_form_data(), REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert Referral.objects.count() == 0
    # Another address is not affected.
    response = client.post("/refer/", referral_form_data(), REMOTE_ADDR="198.51.100.2")
    assert response.status_code == 302
    assert Referral.objects.count() == 1


def test_reading_the_referral_form_is_not_limited(client, settings):
    settings.RATE_LIMITS = {"referral-post": (1, 3600)}
    for _ in range(5):
        assert client.get("/refer/").status_code == 200


def test_date_of_birth_answers_are_limited_per_address_across_links(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (4, 900)}
    tokens = [new_link() for _ in range(5)]
    statuses = [
        client.post(f"/test-gate/{t}/", WRONG_DOB, REMOTE_ADDR="198.51.100.9").status_code
        for t in tokens
    ]
    assert statuses == [200, 200, 200, 200, 429]
    # Even the right answer waits, from that address.
    response = client.post(f"/test-gate/{tokens[0]}/", RIGHT_DOB, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Please wait a little" in response.content.decode()
    # From another address the patient gets in.
    other = client.__class__()
    response = other.post(f"/test-gate/{tokens[0]}/", RIGHT_DOB, REMOTE_ADDR="198.51.100.10")
    assert response.status_code == 302


def test_right_answers_from_one_address_are_not_counted(client, settings):
    # A clinic's waiting-room Wi-Fi: many patients, one address, all answering right.
    settings.RATE_LIMITS = {"link-dob-address": (2, 900)}
    for _ in range(5):
        patient = client.__class__()
        response = patient.post(f"/test-gate/{new_link()}/", RIGHT_DOB, REMOTE_ADDR="192.0.2.8")
        assert response.status_code == 302


def test_unreadable_dates_are_not_counted_as_guesses(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (2, 900)}
    token = new_link()
    for _ in range(5):
        response = client.post(f"/test-gate/{token}/", {"date_of_birth": "not a date"})
        assert response.status_code == 200
    assert client.post(f"/test-gate/{token}/", RIGHT_DOB).status_code == 302


def test_opening_a_link_without_answering_is_not_counted(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (1, 900)}
    token = new_link()
    for _ in range(5):
        assert client.get(f"/test-gate/{token}/").status_code == 200
    assert client.post(f"/test-gate/{token}/", RIGHT_DOB).status_code == 302


def test_a_verified_patient_posting_pages_behind_the_gate_is_not_counted(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (1, 900)}
    token = new_link()
    assert client.post(f"/test-gate/{token}/", RIGHT_DOB).status_code == 302
    for _ in range(3):
        assert client.post(f"/test-gate/{token}/", {"anything": "1"}).content == b"behind the gate"
