"""Staff side: the open-flags inbox, acknowledging with a note, response pages and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import AccessLog
from intake.flags import FlagError, flag_acknowledge
from intake.models import Flag, QuestionnaireRequest, QuestionnaireResponse
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from tests.factories import PatientFactory, instrument, sent_check

pytestmark = pytest.mark.django_db


def submitted(codes=("phq9",), answers=None, patient=None, now=None) -> QuestionnaireRequest:
    qreq, _ = sent_check(codes=codes, patient=patient)
    for step in request_steps(qreq):
        questionnaire_save_page(qreq=qreq, step=step, answers=answers or {})
    questionnaire_submit(qreq=qreq, now=now)
    return qreq


def phq9(total_per_item: int = 1, item9: int = 1) -> dict:
    return {f"phq9_{i}": total_per_item for i in range(1, 9)} | {"phq9_9": item9}


def test_the_inbox_lists_urgent_flags_first_then_oldest_first(client, nurse):
    now = timezone.now()
    older_review = submitted(
        ("gad7",), {f"gad7_{i}": 3 for i in range(1, 8)}, now=now - timedelta(hours=3)
    )
    newer_urgent = submitted(answers=phq9(0, 1), now=now - timedelta(hours=1))
    older_urgent = submitted(answers=phq9(0, 2), now=now - timedelta(hours=2))
    client.force_login(nurse)
    body = client.get("/admin/").content.decode()
    panel = body[body.index('id="panel-flags"') :]
    positions = [
        panel.index(q.patient.record_number) for q in (older_urgent, newer_urgent, older_review)
    ]
    assert positions == sorted(positions)
    assert "2 urgent" in panel


def test_the_inbox_is_not_shown_to_coordinators_or_schedulers(client, coordinator, scheduler):
    submitted(answers=phq9())
    for user in (coordinator, scheduler):
        client.force_login(user)
        assert 'id="panel-flags"' not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["nurse", "clinician"])
def test_nurses_and_on_call_clinicians_acknowledge_with_a_note(client, request, role):
    user = request.getfixturevalue(role)
    submitted(answers=phq9())
    flag = Flag.objects.get(rule="phq9_item9")
    client.force_login(user)
    page = client.get(f"/admin/intake/flag/{flag.pk}/change/").content.decode()
    assert f"/admin/intake/flag/{flag.pk}/acknowledge/" in page
    empty = client.post(f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": "  "})
    assert empty.status_code == 200
    assert "This field is required" in empty.content.decode()
    client.post(f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": "Called the patient."})
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledgement_note) == (user, "Called the patient.")


def test_coordinators_cannot_acknowledge_or_read_answers(client, coordinator):
    qreq = submitted(answers=phq9())
    flag = Flag.objects.get(rule="phq9_item9")
    client.force_login(coordinator)
    post = client.post(f"/admin/intake/flag/{flag.pk}/acknowledge/", {"note": "x"})
    assert post.status_code == 403
    assert client.get(f"/admin/intake/flag/{flag.pk}/change/").status_code == 403
    response = qreq.responses.get()
    assert (
        client.get(f"/admin/intake/questionnaireresponse/{response.pk}/change/").status_code == 403
    )
    page = client.get(f"/admin/intake/questionnairerequest/{qreq.pk}/change/")
    assert page.status_code == 200
    assert "Thoughts that you would be better off dead" not in page.content.decode()
    flag.refresh_from_db()
    assert flag.is_open


def test_the_service_refuses_a_second_acknowledgement_and_an_empty_note(clinician, nurse):
    submitted(answers=phq9())
    flag = Flag.objects.get(rule="phq9_item9")
    with pytest.raises(FlagError, match="note"):
        flag_acknowledge(flag=flag, by=nurse, note="")
    flag_acknowledge(flag=flag, by=nurse, note="Seen.")
    with pytest.raises(FlagError, match="already acknowledged"):
        flag_acknowledge(flag=flag, by=clinician, note="Me too.")
    flag.refresh_from_db()
    assert flag.acknowledged_by == nurse


def test_the_database_refuses_an_acknowledgement_without_a_note(nurse):
    submitted(answers=phq9())
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(rule="phq9_item9").update(acknowledged_at=timezone.now())


def test_bulk_acknowledge_asks_for_a_note_and_reports_flags_already_closed(client, clinician):
    submitted(answers=phq9(3, 3))  # item 9 and total >= 20: two urgent flags
    flags = list(Flag.objects.order_by("pk"))
    assert len(flags) == 2
    flag_acknowledge(flag=flags[0], by=clinician, note="Done earlier.")
    client.force_login(clinician)
    data = {"action": "acknowledge_selected", "_selected_action": [f.pk for f in flags]}
    ask = client.post("/admin/intake/flag/", data)
    assert ask.status_code == 200
    assert "note" in ask.content.decode()
    done = client.post(
        "/admin/intake/flag/", data | {"apply": "1", "note": "Reviewed."}, follow=True
    )
    body = done.content.decode()
    assert "1 flag(s) acknowledged" in body
    assert f"Already acknowledged: #{flags[0].pk}" in body
    assert not Flag.objects.filter(acknowledged_at__isnull=True).exists()


def test_flags_and_responses_cannot_be_deleted_even_by_a_superuser(client, superuser):
    qreq = submitted(answers=phq9())
    flag = Flag.objects.get(rule="phq9_item9")
    client.force_login(superuser)
    assert client.post(f"/admin/intake/flag/{flag.pk}/delete/", {"post": "yes"}).status_code == 403
    response = qreq.responses.get()
    assert (
        client.post(
            f"/admin/intake/questionnaireresponse/{response.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Flag.objects.filter(pk=flag.pk).exists()


def test_the_response_page_shows_answers_as_seen_scores_bands_flags_and_history(client, nurse):
    patient = PatientFactory()
    submitted(answers=phq9(0, 0), patient=patient, now=timezone.now() - timedelta(days=30))
    qreq = submitted(answers=phq9(2, 1), patient=patient)
    response = qreq.responses.get()
    client.force_login(nurse)
    url = f"/admin/intake/questionnaireresponse/{response.pk}/change/"
    body = client.get(url).content.decode()
    assert "Feeling down, depressed, or hopeless" in body
    assert "More than half the days" in body
    assert "17" in body and "Moderately severe" in body
    assert "PHQ-9 item 9 (thoughts of self-harm) answered above 0" in body
    assert "over time" in body and "Minimal" in body
    assert "Spitzer" in body


def test_each_opening_of_a_response_is_logged_exactly_once(client, nurse):
    qreq = submitted(answers=phq9())
    response = qreq.responses.get()
    client.force_login(nurse)
    client.get(f"/admin/intake/questionnaireresponse/{response.pk}/change/")
    client.get(f"/admin/intake/questionnaireresponse/{response.pk}/change/")
    logs = AccessLog.objects.filter(
        content_type=ContentType.objects.get_for_model(QuestionnaireResponse),
        object_id=str(response.pk),
    )
    assert logs.count() == 2
    assert set(logs.values_list("user", flat=True)) == {nurse.pk}


def test_the_check_page_shows_every_response_to_clinical_staff(client, nurse):
    qreq = submitted(
        ("safety_check", "phq9"),
        phq9()
        | {
            "fever_infection": 0,
            "antibiotics": 0,
            "vaccine": 0,
            "pregnant": 9,
            "reaction_last": 0,
            "new_neuro": 0,
        },
    )
    client.force_login(nurse)
    body = client.get(f"/admin/intake/questionnairerequest/{qreq.pk}/change/").content.decode()
    assert "Pre-infusion safety check" in body
    assert "Patient Health Questionnaire (PHQ-9)" in body


def test_responses_filter_by_instrument_band_and_flag_state_and_search_by_patient(client, nurse):
    flagged = submitted(answers=phq9(3, 3))
    calm = submitted(("gad7",), {f"gad7_{i}": 0 for i in range(1, 8)})
    client.force_login(nurse)
    base = "/admin/intake/questionnaireresponse/"

    def listed(query: str) -> set[str]:
        body = client.get(base + query).content.decode()
        return {q.patient.record_number for q in (flagged, calm) if q.patient.record_number in body}

    assert listed("?flags=urgent") == {flagged.patient.record_number}
    assert listed("?flags=none") == {calm.patient.record_number}
    assert listed("?questionnaire=gad7") == {calm.patient.record_number}
    assert listed("?main_band=Severe") == {flagged.patient.record_number}
    assert listed(f"?q={calm.patient.record_number}") == {calm.patient.record_number}


def test_busy_staff_pages_use_a_fixed_number_of_queries(
    client, nurse, django_assert_max_num_queries
):
    for _ in range(5):
        submitted(answers=phq9(3, 3))
    client.force_login(nurse)
    with django_assert_max_num_queries(25):
        assert client.get("/admin/intake/flag/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/admin/intake/questionnaireresponse/").status_code == 200


def test_coordinators_send_a_check_from_admin(
    client, coordinator, django_capture_on_commit_callbacks
):
    patient = PatientFactory()
    client.force_login(coordinator)
    page = client.get(f"/admin/intake/questionnairerequest/add/?patient={patient.pk}")
    assert page.status_code == 200
    # The check's private link is made when its email is sent, after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/intake/questionnairerequest/add/",
            {"patient": patient.pk, "instruments": [instrument("phq9").pk]},
        )
    assert response.status_code == 302
    qreq = QuestionnaireRequest.objects.get(patient=patient)
    assert qreq.sent_by == coordinator
    assert qreq.link.expires_at > timezone.now() + timedelta(days=13)


def test_a_patient_without_email_is_refused_with_a_message(client, coordinator):
    patient = PatientFactory(email="")
    client.force_login(coordinator)
    response = client.post(
        "/admin/intake/questionnairerequest/add/",
        {"patient": patient.pk, "instruments": [instrument("phq9").pk]},
    )
    assert response.status_code == 200
    assert "no email address" in response.content.decode()
    assert not QuestionnaireRequest.objects.exists()
