"""Sending a pre-visit check: the patient found by search, the check due before a booked visit."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.forms import ModelChoiceField
from django.test import RequestFactory
from django.utils import timezone

from clinic.models import Patient
from intake.models import QuestionnaireRequest
from scheduling.booking import session_book
from tests.factories import PatientFactory, clinic_week, instrument, ready_course

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
SEND = "/admin/intake/questionnairerequest/add/"


def _booked_visits(patient, count: int = 2) -> list:
    chairs = clinic_week(chairs=2, weekdays=range(7))
    day = timezone.localdate(timezone=NY) + timedelta(days=3)
    course = ready_course("natalizumab", start_after=day, patient=patient)
    sessions = []
    for sequence in range(1, count + 1):
        dose = course.doses.get(sequence=sequence)
        start = datetime.combine(dose.earliest if sequence > 1 else day, time(9), tzinfo=NY)
        sessions.append(session_book(dose=dose, chair=chairs[0], start=start, notify=False))
    return sessions


def test_the_patient_picker_is_a_search(client, coordinator):
    client.force_login(coordinator)
    form = client.get(SEND).context["form"]
    assert isinstance(form.fields["patient"].widget, AutocompleteSelect)
    PatientFactory(legal_given_name="Findable", legal_family_name="Person")
    found = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "intake",
            "model_name": "questionnairerequest",
            "field_name": "patient",
            "term": "Findable",
        },
    ).json()
    assert next(r["text"] for r in found["results"]).startswith("Findable Person (")


def test_a_merged_record_is_never_offered_by_the_picker(client, coordinator):
    kept = PatientFactory(legal_given_name="Merged")
    PatientFactory(legal_given_name="Merged", merged_into=kept)
    client.force_login(coordinator)
    found = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "intake",
            "model_name": "questionnairerequest",
            "field_name": "patient",
            "term": "Merged",
        },
    ).json()
    assert [r["id"] for r in found["results"]] == [str(kept.pk)]


def test_every_patient_picker_in_the_staff_site_is_a_search(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    pickers = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("clinic", "intake", "scheduling"):
            continue  # other apps' admins hold no patient
        if not model_admin.has_add_permission(request) and not model_admin.has_change_permission(
            request
        ):
            continue
        form = model_admin.get_form(request)()
        for name, field in form.fields.items():
            if isinstance(field, ModelChoiceField) and field.queryset.model is Patient:
                pickers.append((model.__name__, name, type(field.widget).__name__))
    assert all(widget != "Select" for *_where, widget in pickers), pickers


def test_a_check_for_a_patient_with_booked_visits_is_due_at_the_visit_picked(client, coordinator):
    patient = PatientFactory()
    _first, second = _booked_visits(patient)
    client.force_login(coordinator)
    data = {"patient": patient.pk, "instruments": [instrument("phq9").pk]}
    refused = client.post(SEND, data)
    assert refused.status_code == 200
    assert "Choose the visit this check prepares for." in refused.content.decode()
    assert not QuestionnaireRequest.objects.exists()
    assert client.post(SEND, {**data, "visit": str(second.pk)}).status_code == 302
    qreq = QuestionnaireRequest.objects.get(patient=patient)
    assert qreq.due_at == second.start
    page = client.get(f"/admin/intake/questionnairerequest/{qreq.pk}/change/").content.decode()
    assert "For the visit at" in page and "Due at: -" not in page


def test_showing_the_visits_lists_them_and_sends_nothing(client, coordinator):
    patient = PatientFactory()
    first, _second = _booked_visits(patient)
    client.force_login(coordinator)
    response = client.post(SEND, {"patient": patient.pk, "_visits": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "errornote" not in html
    assert f'value="{first.pk}"' in html and "Natalizumab" in html
    assert not QuestionnaireRequest.objects.exists()


def test_the_session_page_offers_a_check_for_that_visit(client, coordinator, nurse):
    patient = PatientFactory()
    first, _second = _booked_visits(patient)
    client.force_login(nurse)
    html = client.get(f"/admin/scheduling/session/{first.pk}/change/").content.decode()
    link = f"{SEND}?patient={patient.pk}&amp;visit={first.pk}"
    assert link in html
    client.force_login(coordinator)
    form = client.get(f"{SEND}?patient={patient.pk}&visit={first.pk}").context["form"]
    assert form["visit"].value() == str(first.pk)


def test_a_patient_with_no_visit_booked_can_still_be_sent_a_check(client, coordinator):
    patient = PatientFactory()
    client.force_login(coordinator)
    html = client.post(SEND, {"patient": patient.pk, "_visits": "1"}).content.decode()
    assert "has no visit booked yet" in html
    sent = client.post(SEND, {"patient": patient.pk, "instruments": [instrument("phq9").pk]})
    assert sent.status_code == 302
    assert QuestionnaireRequest.objects.get(patient=patient).due_at is None
