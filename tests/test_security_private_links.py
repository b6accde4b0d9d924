"""Private links: random tokens stored only as hashes, expiry, revocation, and staff passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from clinic.links import hash_token, link_create, link_find
from clinic.models import PrivateLink
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
DOB = "1980-03-27"


def _q_link():
    from tests.factories import sent_check

    qreq, url = sent_check(codes=("phq9",))
    return qreq, url.split("chairside.test", 1)[1]


def test_tokens_are_long_random_and_never_stored(client):
    tokens = [link_create(patient=PatientFactory(), purpose="manage", days=1)[1] for _ in range(3)]
    assert len(set(tokens)) == 3
    assert all(len(t) >= 43 for t in tokens)
    with connection.cursor() as cursor:
        for table in ("clinic_privatelink", "clinic_historicalprivatelink"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
            for token in tokens:
                assert token not in dump
    assert PrivateLink.objects.filter(token_hash=hash_token(tokens[0])).exists()


def test_a_token_for_the_wrong_purpose_or_with_a_changed_letter_finds_nothing():
    link, token = link_create(patient=PatientFactory(), purpose="manage", days=1)
    assert link_find(token, "manage") == link
    assert link_find(token, "questionnaire") is None
    assert link_find(token[:-1] + ("x" if token[-1] != "x" else "y"), "manage") is None
    assert link_find("", "manage") is None
    assert link_find("a" * 5000, "manage") is None


def test_an_expired_link_shows_the_expired_page_even_after_the_date_of_birth(client):
    qreq, url = _q_link()
    assert client.post(url, {"date_of_birth": DOB}).status_code == 302
    PrivateLink.objects.filter(pk=qreq.link_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(url)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_staff_revoke_a_link_from_admin_and_it_stops_working(client, superuser):
    qreq, url = _q_link()
    patient_browser = client.__class__()
    assert patient_browser.post(url, {"date_of_birth": DOB}).status_code == 302
    client.force_login(superuser)
    response = client.post(
        "/admin/clinic/privatelink/",
        {"action": "revoke", "_selected_action": [qreq.link_id]},
    )
    assert response.status_code == 302
    assert PrivateLink.objects.get(pk=qreq.link_id).revoked_at is not None
    assert patient_browser.get(url).status_code == 410


def test_a_coordinator_can_revoke_a_link_and_a_nurse_cannot(client, coordinator, nurse):
    qreq, _url = _q_link()
    client.force_login(nurse)
    client.post(
        "/admin/clinic/privatelink/", {"action": "revoke", "_selected_action": [qreq.link_id]}
    )
    assert PrivateLink.objects.get(pk=qreq.link_id).revoked_at is None
    client.force_login(coordinator)
    client.post(
        "/admin/clinic/privatelink/", {"action": "revoke", "_selected_action": [qreq.link_id]}
    )
    assert PrivateLink.objects.get(pk=qreq.link_id).revoked_at is not None


def test_nothing_about_the_patient_is_shown_before_the_date_of_birth(client):
    qreq, url = _q_link()
    html = client.get(url).content.decode()
    patient = qreq.patient
    assert patient.legal_given_name not in html
    assert patient.legal_family_name not in html
    assert "PHQ" not in html


@pytest.mark.parametrize("password", ["short1!", "password1234", "123456789012", "coordinator2024"])
def test_weak_staff_passwords_are_refused(coordinator, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=coordinator)


def test_a_long_uncommon_password_is_accepted(coordinator):
    validate_password("violet-kayak-harbour-57", user=coordinator)
