"""The read-access log: one row per opening of a record holding health data, never editable."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile

from clinic.links import link_create
from clinic.models import AccessLog, Patient, PrivateLink
from intake.models import Referral, ReferralDocument
from tests.factories import PDF_BYTES, PatientFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def make_document(referral: Referral) -> ReferralDocument:
    document = ReferralDocument(
        referral=referral,
        kind=ReferralDocument.Kind.ORDER,
        original_name="order.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
    )
    document.file.save("order.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    return document


def only_row() -> AccessLog:
    rows = list(AccessLog.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_opening_a_referral_writes_exactly_one_row(client, nurse):
    referral = ReferralFactory()
    make_document(referral)
    make_document(referral)
    client.force_login(nurse)
    response = client.get(f"/admin/intake/referral/{referral.pk}/change/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    row = only_row()
    assert row.user == nurse
    assert row.actor == "nurse"
    assert row.action == "view"
    assert row.content_type == ContentType.objects.get_for_model(Referral)
    assert row.object_id == str(referral.pk)
    assert row.ip_address == "10.1.2.3"
    assert row.at is not None


def test_opening_a_referral_twice_writes_two_rows(client, nurse):
    referral = ReferralFactory()
    client.force_login(nurse)
    client.get(f"/admin/intake/referral/{referral.pk}/change/")
    client.get(f"/admin/intake/referral/{referral.pk}/change/")
    assert AccessLog.objects.filter(object_id=str(referral.pk)).count() == 2


def test_the_triage_list_is_not_a_read_of_each_referral(client, nurse):
    ReferralFactory.create_batch(3)
    client.force_login(nurse)
    assert client.get("/admin/intake/referral/").status_code == 200
    assert AccessLog.objects.count() == 0


def test_downloading_a_document_writes_exactly_one_row(client, nurse):
    document = make_document(ReferralFactory())
    client.force_login(nurse)
    response = client.get(f"/staff/documents/{document.pk}/")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    row = only_row()
    assert (row.user, row.action, row.object_id) == (nurse, "download", str(document.pk))
    assert row.content_type == ContentType.objects.get_for_model(ReferralDocument)


def test_a_refused_download_writes_no_row(client, scheduler):
    document = make_document(ReferralFactory())
    client.force_login(scheduler)
    assert client.get(f"/staff/documents/{document.pk}/").status_code == 403
    assert AccessLog.objects.count() == 0


def test_opening_a_patient_writes_exactly_one_row(client, coordinator):
    patient = PatientFactory()
    client.force_login(coordinator)
    assert client.get(f"/admin/clinic/patient/{patient.pk}/change/").status_code == 200
    row = only_row()
    assert row.content_type == ContentType.objects.get_for_model(Patient)
    assert row.object_id == str(patient.pk)


def test_opening_a_private_link_writes_one_row_for_the_patient(client):
    from django.http import HttpRequest, HttpResponse
    from django.test import RequestFactory

    from clinic.links import private_link

    patient = PatientFactory()
    _link, token = link_create(patient=patient, purpose="questionnaire", days=7)
    request = RequestFactory().post("/", {"date_of_birth": "1980-03-27"})
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()

    @private_link(purpose="questionnaire")
    def behind(request: HttpRequest, link: PrivateLink, token: str) -> HttpResponse:
        return HttpResponse("behind the gate")

    result = behind(request, token=token)
    assert isinstance(result, HttpResponse) and result.status_code == 302
    row = only_row()
    assert row.actor == "patient link"
    assert row.user is None
    assert row.action == "link-open"
    assert row.object_id == str(patient.pk)


def test_clinicians_can_browse_and_filter_the_log(client, clinician, nurse):
    referral = ReferralFactory()
    client.force_login(nurse)
    client.get(f"/admin/intake/referral/{referral.pk}/change/")
    client.force_login(clinician)
    response = client.get("/admin/clinic/accesslog/?action=view")
    assert response.status_code == 200
    assert "nurse" in response.content.decode()
    assert client.get("/admin/clinic/accesslog/?q=nurse").status_code == 200


def test_nobody_can_add_change_or_delete_log_rows_in_admin(client, clinician, superuser):
    referral = ReferralFactory()
    client.force_login(clinician)
    client.get(f"/admin/intake/referral/{referral.pk}/change/")
    row = AccessLog.objects.get()
    for user in (clinician, superuser):
        client.force_login(user)
        assert client.get("/admin/clinic/accesslog/add/").status_code == 403
        assert client.get(f"/admin/clinic/accesslog/{row.pk}/delete/").status_code == 403
        response = client.post(
            f"/admin/clinic/accesslog/{row.pk}/change/",
            {"actor": "someone-else", "action": "view"},
        )
        assert response.status_code == 403
        response = client.post(
            "/admin/clinic/accesslog/",
            {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
        )
        row.refresh_from_db()
        assert row.actor == "clinician"
    assert AccessLog.objects.filter(pk=row.pk).exists()


def test_nurses_coordinators_and_schedulers_cannot_read_the_log(
    client, nurse, coordinator, scheduler
):
    for user in (nurse, coordinator, scheduler):
        client.force_login(user)
        assert client.get("/admin/clinic/accesslog/").status_code == 403


def _submitted_response():
    from intake.models import Flag
    from intake.questionnaires import (
        questionnaire_save_page,
        questionnaire_submit,
        request_steps,
    )
    from tests.factories import sent_check

    qreq, _url = sent_check(codes=("phq9",))
    for step in request_steps(qreq):
        questionnaire_save_page(
            qreq=qreq, step=step, answers={f"phq9_{i}": 1 for i in range(1, 10)}
        )
    response = questionnaire_submit(qreq=qreq)[0]
    return response, Flag.objects.filter(response=response).first()


def test_opening_a_questionnaire_response_writes_exactly_one_row(client, nurse):
    from intake.models import QuestionnaireResponse

    response, _flag = _submitted_response()
    client.force_login(nurse)
    page = client.get(f"/admin/intake/questionnaireresponse/{response.pk}/change/")
    assert page.status_code == 200
    row = only_row()
    assert (row.user, row.action, row.object_id) == (nurse, "view", str(response.pk))
    assert row.content_type == ContentType.objects.get_for_model(QuestionnaireResponse)


def test_opening_a_flag_writes_exactly_one_row(client, clinician):
    from intake.models import Flag

    _response, flag = _submitted_response()
    client.force_login(clinician)
    assert client.get(f"/admin/intake/flag/{flag.pk}/change/").status_code == 200
    row = only_row()
    assert row.content_type == ContentType.objects.get_for_model(Flag)
    assert row.object_id == str(flag.pk)


def test_a_refused_response_page_writes_no_row(client, coordinator, scheduler):
    response, _flag = _submitted_response()
    for user in (coordinator, scheduler):
        client.force_login(user)
        assert (
            client.get(f"/admin/intake/questionnaireresponse/{response.pk}/change/").status_code
            == 403
        )
    assert AccessLog.objects.count() == 0
