"""History (django-simple-history): every change to patient data, with the user who made it."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models

from clinic.models import Patient
from intake.models import Referral
from tests.factories import PatientFactory, ReferralFactory, referral_form_data

pytestmark = pytest.mark.django_db

# Append-only audit rows: they are themselves the record of who did what, never edited.
APPEND_ONLY = {"clinic.AccessLog", "intake.ReferralTransition", "intake.FlagNotification"}
PATIENT_MODELS = {"clinic.Patient", "intake.Referral"}


def _form_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    return value


def admin_form_data(response) -> dict[str, Any]:
    """Return the POST an unchanged admin change form would send, inlines included."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = _form_value(form[name].value())
            if value is not None:
                data[form.add_prefix(name)] = value
    return data


def holds_patient_data(model: type[models.Model]) -> bool:
    label = f"{model._meta.app_label}.{model.__name__}"
    if label in PATIENT_MODELS:
        return True
    return any(
        isinstance(f, models.ForeignKey) and f.related_model in (Patient, Referral)
        for f in model._meta.get_fields()
    )


def test_every_model_holding_patient_data_keeps_history():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in {"clinic", "intake", "scheduling"}:
            continue
        if model.__name__.startswith("Historical"):
            continue
        label = f"{model._meta.app_label}.{model.__name__}"
        if label in APPEND_ONLY or not holds_patient_data(model):
            continue
        if not hasattr(model, "history"):
            missing.append(label)
    assert missing == []


def test_an_edit_in_admin_is_recorded_with_the_staff_member(client, coordinator):
    referral = ReferralFactory()
    client.force_login(coordinator)
    response = client.get(f"/admin/intake/referral/{referral.pk}/change/")
    data = admin_form_data(response)
    data["phone"] = "(555) 010-0777"
    response = client.post(f"/admin/intake/referral/{referral.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = referral.history.latest()
    assert latest.phone == "(555) 010-0777"
    assert latest.history_user == coordinator
    assert latest.history_type == "~"


def test_a_status_change_is_recorded_with_the_staff_member_and_reason(client, coordinator):
    referral = ReferralFactory()
    client.force_login(coordinator)
    response = client.post(
        f"/admin/intake/referral/{referral.pk}/transition/in_review/", {"note": "Starting triage"}
    )
    assert response.status_code == 302
    latest = referral.history.latest()
    assert latest.status == "in_review"
    assert latest.history_user == coordinator
    assert "received" in latest.history_change_reason


def test_a_patient_edit_in_admin_is_recorded_with_the_staff_member(client, coordinator):
    patient = PatientFactory()
    client.force_login(coordinator)
    response = client.get(f"/admin/clinic/patient/{patient.pk}/change/")
    data = admin_form_data(response)
    data["phone"] = "(555) 010-0888"
    response = client.post(f"/admin/clinic/patient/{patient.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = patient.history.latest()
    assert (latest.phone, latest.history_user) == ("(555) 010-0888", coordinator)


def test_the_history_page_shows_each_change_and_who_made_it(client, coordinator, nurse):
    referral = ReferralFactory()
    client.force_login(coordinator)
    client.post(
        f"/admin/intake/referral/{referral.pk}/transition/in_review/", {"note": "Starting triage"}
    )
    client.force_login(nurse)
    response = client.get(f"/admin/intake/referral/{referral.pk}/history/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "coordinator" in html
    assert len(response.context["page_obj"].object_list) == 2


def test_a_public_submission_is_recorded_without_a_staff_user(client):
    client.post("/refer/", referral_form_data())
    referral = Referral.objects.get()
    first = referral.history.earliest()
    assert first.history_type == "+"
    assert first.history_user is None


def test_a_nurse_cannot_edit_so_no_history_is_written(client, nurse):
    referral = ReferralFactory()
    client.force_login(nurse)
    response = client.post(
        f"/admin/intake/referral/{referral.pk}/change/", {"phone": "(555) 010-0999"}
    )
    assert response.status_code == 403
    assert referral.history.count() == 1


def test_acknowledging_a_flag_is_recorded_with_the_staff_member(client, nurse):
    from intake.models import Flag
    from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
    from tests.factories import sent_check

    qreq, _url = sent_check(codes=("phq9",))
    for step in request_steps(qreq):
        questionnaire_save_page(
            qreq=qreq, step=step, answers={f"phq9_{i}": 1 for i in range(1, 10)}
        )
    questionnaire_submit(qreq=qreq)
    flag = Flag.objects.get(rule="phq9_item9")
    client.force_login(nurse)
    client.post(f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": "Called the patient."})
    latest = flag.history.latest()
    assert latest.acknowledged_by == nurse
    assert latest.history_user == nurse


def test_cancelling_a_session_in_admin_is_recorded_with_the_staff_member(client, scheduler):
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from scheduling.booking import session_book
    from tests.factories import clinic_week, ready_course

    ny = ZoneInfo("America/New_York")
    chairs = clinic_week(weekdays=range(7))
    day = timezone.localdate(timezone=ny) + timedelta(days=7)
    course = ready_course(start_after=day)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=datetime.combine(day, time(9), tzinfo=ny),
    )
    client.force_login(scheduler)
    client.post(
        "/admin/scheduling/session/",
        {"action": "cancel", "_selected_action": [session.pk], "reason": "Patient has a cold"},
    )
    latest = session.history.latest()
    assert latest.status == "cancelled"
    assert latest.history_user == scheduler
