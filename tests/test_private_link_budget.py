"""A private link's date-of-birth budget: 10 wrong answers in total lock it until re-issued.

The count lives on the link in the database, so neither a cache flush nor time resets it;
a patient sees a page saying so with the clinic's phone number; staff see the locked link
on the patient's page and re-issue it, which emails the patient a new link.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from clinic.models import ClinicSettings, PrivateLink
from intake.models import QuestionnaireRequest
from tests.factories import PatientFactory, sent_check

pytestmark = pytest.mark.django_db

RIGHT = {"date_of_birth": "1980-03-27"}
WRONG = {"date_of_birth": "1990-01-01"}
SHARED_WIFI = "198.51.100.77"


def questionnaire_url(patient=None) -> tuple[QuestionnaireRequest, str]:
    qreq, url = sent_check(patient=patient, codes=("phq9",))
    return qreq, url.split("chairside.test", 1)[1]


def test_the_tenth_wrong_answer_locks_the_link_for_good_across_cache_flushes(client):
    qreq, url = questionnaire_url()
    for _ in range(9):
        cache.clear()  # the budget is not in the cache
        assert client.post(url, WRONG).status_code == 200
    cache.clear()
    locked = client.post(url, WRONG)
    assert locked.status_code == 403
    assert "This link is locked" in locked.content.decode()
    link = PrivateLink.objects.get(pk=qreq.link_id)
    assert link.failed_attempts == 10 and link.locked_at is not None
    cache.clear()
    # The right answer, from a fresh browser and another address, doesn't open it either.
    patient = client.__class__()
    assert patient.post(url, RIGHT, REMOTE_ADDR="203.0.113.80").status_code == 403
    assert patient.get(url).status_code == 403
    assert "Patient Health Questionnaire" not in patient.get(url).content.decode()


def test_nine_wrong_answers_leave_the_link_open_to_the_right_one(client):
    _qreq, url = questionnaire_url()
    for _ in range(9):
        assert client.post(url, WRONG).status_code == 200
    assert client.post(url, RIGHT).status_code == 302


def test_wrong_answers_from_many_addresses_add_up_on_the_link(client):
    _qreq, url = questionnaire_url()
    for n in range(10):
        client.post(url, WRONG, REMOTE_ADDR=f"203.0.113.{n}")
    assert client.post(url, RIGHT, REMOTE_ADDR="192.0.2.1").status_code == 403


def test_a_right_answer_does_not_refill_the_budget(client):
    _qreq, url = questionnaire_url()
    for _ in range(5):
        client.post(url, WRONG)
    assert client.post(url, RIGHT).status_code == 302
    stranger = client.__class__()
    for _ in range(4):
        assert stranger.post(url, WRONG).status_code == 200
    assert stranger.post(url, WRONG).status_code == 403


def test_the_patient_is_told_when_few_tries_are_left(client):
    _qreq, url = questionnaire_url()
    for _ in range(6):
        html = client.post(url, WRONG).content.decode()
        assert "will be locked" not in html
    html = client.post(url, WRONG).content.decode()
    assert "After 3 more wrong answers this link will be locked." in html
    client.post(url, WRONG)
    html = client.post(url, WRONG).content.decode()
    assert "After 1 more wrong answer this link will be locked." in html


def test_the_locked_page_gives_the_clinic_phone_number(client):
    clinic = ClinicSettings.load()
    clinic.phone = "(555) 010-4242"
    clinic.save()
    _qreq, url = questionnaire_url()
    for _ in range(10):
        response = client.post(url, WRONG)
    assert response.status_code == 403
    assert "Please call the clinic at (555) 010-4242" in response.content.decode()


def test_a_right_answer_from_a_shared_address_still_works_after_another_link_locked(client):
    _qreq, attacked = questionnaire_url()
    for _ in range(10):
        client.post(attacked, WRONG, REMOTE_ADDR=SHARED_WIFI)
    assert client.post(attacked, RIGHT, REMOTE_ADDR=SHARED_WIFI).status_code == 403
    # Another patient on the same Wi-Fi opens their own link.
    _qreq, own = questionnaire_url()
    patient = client.__class__()
    assert patient.post(own, RIGHT, REMOTE_ADDR=SHARED_WIFI).status_code == 302
    assert "Start" in patient.get(own).content.decode()


def test_the_address_brake_answers_429_with_retry_after(client, settings):
    settings.RATE_LIMITS = {"link-dob-address": (12, 900)}
    urls = [questionnaire_url()[1] for _ in range(2)]
    for url in urls:
        for _ in range(6):
            client.post(url, WRONG, REMOTE_ADDR=SHARED_WIFI)
    response = client.post(urls[0], WRONG, REMOTE_ADDR=SHARED_WIFI)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    # Brake answers are not counted on the link.
    assert PrivateLink.objects.filter(failed_attempts=6).count() == 2


def test_staff_see_the_locked_link_on_the_patients_page(client, coordinator):
    patient = PatientFactory()
    qreq, url = questionnaire_url(patient)
    for _ in range(10):
        client.post(url, WRONG)
    staff = client.__class__()
    staff.force_login(coordinator)
    html = staff.get(f"/admin/clinic/patient/{patient.pk}/change/").content.decode()
    assert "Locked private links" in html
    assert f"Questionnaire link #{qreq.link_id} locked" in html
    assert "after 10 wrong dates of birth" in html
    listing = staff.get(
        f"/admin/clinic/privatelink/?patient__id__exact={patient.pk}&locked_at__isempty=0"
    )
    assert listing.status_code == 200
    assert f"Questionnaire link #{qreq.link_id}" in listing.content.decode()


def test_an_unlocked_patient_page_says_none(client, coordinator):
    patient = PatientFactory()
    questionnaire_url(patient)
    client.force_login(coordinator)
    html = client.get(f"/admin/clinic/patient/{patient.pk}/change/").content.decode()
    assert "Locked private links" in html
    assert "after 10 wrong dates of birth" not in html


def test_staff_reissue_a_locked_link_and_the_patient_gets_a_new_one_that_works(
    client, coordinator, django_capture_on_commit_callbacks
):
    patient = PatientFactory(email="pat@example.test")
    qreq, url = questionnaire_url(patient)
    for _ in range(10):
        client.post(url, WRONG)
    old_link = qreq.link_id
    staff = client.__class__()
    staff.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/clinic/privatelink/",
            {"action": "reissue", "_selected_action": [old_link]},
            follow=True,
        )
    assert "re-issued" in response.content.decode()
    [email] = [m for m in mail.outbox if m.to == ["pat@example.test"]]
    new_url = re.search(r"https://chairside\.test(/q/[\w-]+/)", email.body).group(1)
    assert new_url != url
    assert "1980" not in email.body and "PHQ" not in email.body
    qreq.refresh_from_db()
    assert qreq.link_id != old_link
    assert PrivateLink.objects.get(pk=old_link).revoked_at is not None
    # The old link stays dead; the new one has a fresh budget and opens the same check.
    patient_browser = client.__class__()
    assert patient_browser.get(url).status_code == 410
    assert patient_browser.post(new_url, WRONG).status_code == 200
    assert patient_browser.post(new_url, RIGHT).status_code == 302
    assert "Start" in patient_browser.get(new_url).content.decode()


def test_a_nurse_cannot_reissue_and_a_patient_without_email_is_explained(
    client, nurse, coordinator
):
    patient = PatientFactory(email="")
    qreq, _url = questionnaire_url(patient)
    client.force_login(nurse)
    client.post(
        "/admin/clinic/privatelink/", {"action": "reissue", "_selected_action": [qreq.link_id]}
    )
    assert PrivateLink.objects.get(pk=qreq.link_id).revoked_at is None
    client.force_login(coordinator)
    response = client.post(
        "/admin/clinic/privatelink/",
        {"action": "reissue", "_selected_action": [qreq.link_id]},
        follow=True,
    )
    assert "has no email address" in response.content.decode()
    assert PrivateLink.objects.get(pk=qreq.link_id).revoked_at is None


def test_a_spanish_speaking_patient_sees_the_locked_page_in_spanish():
    from tests.test_i18n_untranslated import english_left_in, spanish_client, visible_text

    _qreq, url = questionnaire_url()
    patient = spanish_client()
    for _ in range(10):
        response = patient.post(url, WRONG)
    assert response.status_code == 403
    text = visible_text(response.content.decode())
    assert "Este enlace está bloqueado" in text
    assert f"Llame a la clínica al {ClinicSettings.load().phone}" in text
    assert english_left_in(text) == []


def test_the_reissued_link_email_is_in_the_patients_language(
    client, coordinator, django_capture_on_commit_callbacks
):
    patient = PatientFactory(email="paciente@example.test", preferred_language="es")
    qreq, _url = questionnaire_url(patient)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/clinic/privatelink/", {"action": "reissue", "_selected_action": [qreq.link_id]}
        )
    [email] = [m for m in mail.outbox if m.to == ["paciente@example.test"]]
    assert email.subject.startswith("Su nuevo enlace de")
    assert "Reemplaza el enlace" in email.body
