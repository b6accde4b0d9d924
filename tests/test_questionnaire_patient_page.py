"""The patient page lists the patient's responses with their main scores over time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from tests.factories import PatientFactory, sent_check

pytestmark = pytest.mark.django_db


def submit_phq9(patient, per_item: int, days_ago: int) -> None:
    qreq, _ = sent_check(patient=patient, codes=("phq9",))
    answers = {f"phq9_{i}": per_item for i in range(1, 10)}
    questionnaire_save_page(qreq=qreq, step=request_steps(qreq)[0], answers=answers)
    questionnaire_submit(qreq=qreq, now=timezone.now() - timedelta(days=days_ago))


def test_clinical_staff_see_responses_newest_first_with_main_scores(client, nurse):
    patient = PatientFactory()
    submit_phq9(patient, 0, days_ago=60)
    submit_phq9(patient, 2, days_ago=1)
    client.force_login(nurse)
    body = client.get(f"/admin/clinic/patient/{patient.pk}/change/").content.decode()
    assert "Scores over time" in body
    newest, oldest = body.index("Moderately severe"), body.index("Minimal")
    assert newest < oldest
    assert ">18<" in body and ">0<" in body


def test_coordinators_do_not_see_the_answers_on_the_patient_page(client, coordinator):
    patient = PatientFactory()
    submit_phq9(patient, 1, days_ago=1)
    client.force_login(coordinator)
    response = client.get(f"/admin/clinic/patient/{patient.pk}/change/")
    assert response.status_code == 200
    assert "Scores over time" not in response.content.decode()


def test_the_patient_page_still_saves(client, superuser):
    patient = PatientFactory()
    submit_phq9(patient, 1, days_ago=1)
    client.force_login(superuser)
    page = client.get(f"/admin/clinic/patient/{patient.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data["date_of_birth"] = patient.date_of_birth.isoformat()
    data["phone"] = "(555) 010-0111"
    response = client.post(f"/admin/clinic/patient/{patient.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    patient.refresh_from_db()
    assert patient.phone == "(555) 010-0111"
