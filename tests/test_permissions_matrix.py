"""Least privilege: each staff group × each sensitive admin page or action, allowed or refused.

The intent (clinic/roles.py): coordinators triage referrals, book the course an accepted
referral creates and send questionnaires; nurses read clinical records, answer flags, run the
chairs and cancel a visit that can't go ahead; on-call clinicians read everything
clinical, keep the roster and the catalogue, and read the access log; nurses keep the
chairside visit record, which clinicians read; everyone who books sees the learned chair
times and coordinators adopt them; schedulers book
sessions and see patients' contact details, never clinical documents, answers or flags.
Clinic managers and on-call leads read the reports (aggregates only), as coordinators do;
on-call leads keep the roster. Nobody but a superuser sees sign-in lockouts, private links or
user accounts. The outbox is read by coordinators, nurses and on-call clinicians; the task
queue's pages by on-call clinicians only; only superusers resubmit tasks or change schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from intake.models import Flag, ReferralDocument
from intake.questionnaires import questionnaire_save_page, questionnaire_submit, request_steps
from scheduling.booking import session_book
from scheduling.models import Authorisation
from scheduling.waitlist import waitlist_join
from tests.factories import (
    PDF_BYTES,
    PatientFactory,
    ReferralFactory,
    clinic_week,
    ready_course,
    sent_check,
)
from tests.test_history import admin_form_data

pytestmark = pytest.mark.django_db

C, N, K, S = "coordinator", "nurse", "clinician", "scheduler"
M, L = "manager", "oncall_lead"
ROLES = (C, N, K, S, M, L)


@pytest.fixture
def records(coordinator) -> dict:
    """One of each sensitive record."""
    referral = ReferralFactory()
    document = ReferralDocument(
        referral=referral,
        kind="order",
        original_name="order.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
    )
    document.file.save("order.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    patient = PatientFactory()
    qreq, _url = sent_check(patient=patient, codes=("phq9",))
    for step in request_steps(qreq):
        questionnaire_save_page(
            qreq=qreq, step=step, answers={f"phq9_{i}": 1 for i in range(1, 10)}
        )
    response = questionnaire_submit(qreq=qreq)[0]
    flag = Flag.objects.filter(response=response).first()
    assert flag is not None
    chairs = clinic_week(chairs=2, weekdays=range(7))
    day = timezone.localdate(timezone=ZoneInfo("America/New_York")) + timedelta(days=5)
    course = ready_course("natalizumab", start_after=day)
    session = session_book(
        dose=course.doses.get(sequence=1),
        chair=chairs[0],
        start=datetime.combine(day, time(9), tzinfo=ZoneInfo("America/New_York")),
    )
    authorisation = Authorisation(
        course=course,
        payer="Example Health Plan",
        number="PA-1",
        valid_from=day,
        valid_to=day + timedelta(days=180),
        status="approved",
        document_type="application/pdf",
    )
    authorisation.document.save("letter.pdf", ContentFile(PDF_BYTES), save=False)
    authorisation.save()
    entry = waitlist_join(dose=session.dose)
    client = Client()
    client.force_login(coordinator)
    referral_form = admin_form_data(client.get(f"/admin/intake/referral/{referral.pk}/change/"))
    patient_form = admin_form_data(client.get(f"/admin/clinic/patient/{patient.pk}/change/"))
    return {
        "referral": referral,
        "document": document,
        "patient": patient,
        "qreq": qreq,
        "response": response,
        "flag": flag,
        "course": course,
        "session": session,
        "dose": session.dose,
        "authorisation": authorisation,
        "entry": entry,
        "referral_form": referral_form,
        "patient_form": patient_form,
    }


def _offered_actions(client: Client, url: str) -> set[str]:
    response = client.get(url)
    form = response.context.get("action_form") if response.status_code == 200 else None
    if form is None:
        return set()
    return {value for value, _label in form.fields["action"].choices}


def _get(url: str) -> Callable[[Client, dict], int]:
    return lambda client, r: (
        client.get(
            url.format(**{k: getattr(v, "pk", v) for k, v in r.items() if not k.endswith("_form")})
        ).status_code
    )


def _can_change(url: str) -> Callable[[Client, dict], int]:
    """200 when the change page lets this user edit, 403 when it is read-only or refused."""

    def attempt(client: Client, r: dict) -> int:
        response = client.get(url)
        if response.status_code != 200:
            return response.status_code
        return 200 if response.context["has_change_permission"] else 403

    return attempt


def _referral_edit(client: Client, r: dict) -> int:
    data = {**r["referral_form"], "phone": "(555) 010-0456"}
    return client.post(f"/admin/intake/referral/{r['referral'].pk}/change/", data).status_code


def _patient_edit(client: Client, r: dict) -> int:
    data = {**r["patient_form"], "phone": "(555) 010-0457"}
    return client.post(f"/admin/clinic/patient/{r['patient'].pk}/change/", data).status_code


def _transition(client: Client, r: dict) -> int:
    url = f"/admin/intake/referral/{r['referral'].pk}/transition/in_review/"
    return client.post(url, {"note": "Starting triage"}).status_code


def _acknowledge(client: Client, r: dict) -> int:
    url = f"/admin/intake/flag/{r['flag'].pk}/acknowledge/"
    return client.post(url, {"note": "Called the patient, seen today."}).status_code


def _visit_open(client: Client, r: dict) -> int:
    url = f"/admin/visits/visitrecord/session/{r['session'].pk}/"
    return client.post(url, {"action": "open", "open-at": "09:00"}).status_code


def _chair_time_adopt(client: Client, r: dict) -> int:
    url = "/admin/visits/visitrecord/chair-times/"
    data = {"therapy": r["course"].therapy_id, "kind": "first", "choice": "median"}
    return client.post(url, data).status_code


def _action(url: str, action: str) -> Callable[[Client, dict], int]:
    def offered(client: Client, r: dict) -> int:
        return 200 if action in _offered_actions(client, url) else 403

    return offered


# page or action -> (how to try it, the roles that may)
MATRIX: dict[str, tuple[Callable[[Client, dict], int], set[str]]] = {
    "referral list": (_get("/admin/intake/referral/"), {C, N, K}),
    "referral page": (_get("/admin/intake/referral/{referral}/change/"), {C, N, K}),
    "referral edit": (_referral_edit, {C}),
    "referral status change": (_transition, {C}),
    "referral start-review action": (_action("/admin/intake/referral/", "start_review"), {C}),
    "referral history": (_get("/admin/intake/referral/{referral}/history/"), {C, N, K}),
    "document download": (_get("/staff/documents/{document}/"), {C, N, K}),
    "document list": (_get("/admin/intake/referraldocument/"), {C, N, K}),
    "patient page": (_get("/admin/clinic/patient/{patient}/change/"), {C, N, K, S}),
    "patient edit": (_patient_edit, {C}),
    "patient merge action": (_action("/admin/clinic/patient/", "merge_patients"), {C}),
    "access log": (_get("/admin/clinic/accesslog/"), {K}),
    "questionnaire send": (_get("/admin/intake/questionnairerequest/add/"), {C, N, K}),
    "questionnaire response page": (
        _get("/admin/intake/questionnaireresponse/{response}/change/"),
        {N, K},
    ),
    "questionnaire response list": (_get("/admin/intake/questionnaireresponse/"), {N, K}),
    "flag page": (_get("/admin/intake/flag/{flag}/change/"), {N, K}),
    "flag acknowledge": (_acknowledge, {N, K}),
    "on-call roster edit": (_get("/admin/intake/oncallshift/add/"), {K, L}),
    "therapy catalogue edit": (_can_change("/admin/clinic/therapy/1/change/"), {K}),
    "course page": (_get("/admin/scheduling/treatmentcourse/{course}/change/"), {C, N, K, S}),
    "course booking": (_get("/admin/scheduling/treatmentcourse/{course}/book/"), {C, S}),
    "prerequisite override": (
        _get("/admin/scheduling/treatmentcourse/{course}/override/"),
        {K},
    ),
    "session list": (_get("/admin/scheduling/session/"), {C, N, K, S}),
    "session check-in action": (_action("/admin/scheduling/session/", "check_in"), {N}),
    "session cancel action": (_action("/admin/scheduling/session/", "cancel"), {C, N, S}),
    "day board": (_get("/admin/scheduling/session/board/"), {C, N, K, S}),
    "visit record page": (_get("/admin/visits/visitrecord/session/{session}/"), {N, K}),
    "visit record write": (_visit_open, {N}),
    "visit record list": (_get("/admin/visits/visitrecord/"), {N, K}),
    "chair-time drift page": (_get("/admin/visits/visitrecord/chair-times/"), {C, N, K, S}),
    "chair-time adopt": (_chair_time_adopt, {C}),
    "monitoring tasks": (_get("/admin/scheduling/monitoringtask/"), {C, N, K, S}),
    "course switch IV/SC": (_get("/admin/scheduling/treatmentcourse/{course}/switch/"), {K}),
    "authorisation list": (_get("/admin/scheduling/authorisation/"), {C, N, K, S}),
    "authorisation add": (_get("/admin/scheduling/authorisation/add/"), {C}),
    "authorisation letter": (
        _get("/admin/scheduling/authorisation/{authorisation}/letter/"),
        {C, N, K},
    ),
    "authorisations to renew": (_get("/admin/scheduling/authorisation/attention/"), {C, N, K, S}),
    "authorisation override": (
        _get("/admin/scheduling/authorisation/override/{dose}/"),
        {C, K},
    ),
    "waitlist": (_get("/admin/scheduling/waitlistentry/"), {C, N, K, S}),
    "waitlist add": (_get("/admin/scheduling/waitlistentry/add/"), {C, S}),
    "waitlist offer by hand": (_get("/admin/scheduling/waitlistentry/{entry}/offer/"), {C, S}),
    "waitlist offers": (_get("/admin/scheduling/waitlistoffer/"), {C, N, K, S}),
    "sign-in lockouts": (_get("/admin/axes/accessattempt/"), set()),
    "private links": (_get("/admin/clinic/privatelink/"), {C}),
    "user accounts": (_get("/admin/auth/user/"), set()),
    "groups": (_get("/admin/auth/group/"), set()),
    "authenticator devices": (_get("/admin/otp_totp/totpdevice/"), set()),
    "outbox": (_get("/admin/clinic/notice/"), {C, N, K}),
    "outbox send-again action": (_action("/admin/clinic/notice/", "send_again"), {C, N, K}),
    "task schedules": (_get("/admin/django_q/schedule/"), {K}),
    "successful tasks": (_get("/admin/django_q/success/"), {K}),
    "failed tasks": (_get("/admin/django_q/failure/"), {K}),
    "queued tasks": (_get("/admin/django_q/ormq/"), {K}),
    "task resubmit action": (_action("/admin/django_q/failure/", "resubmit"), set()),
    "task schedule edit": (_can_change("/admin/django_q/schedule/1/change/"), set()),
    "reports": (_get("/admin/reports/"), {C, M, L}),
    "utilisation report": (_get("/admin/reports/utilisation/"), {C, M, L}),
    "attendance report": (_get("/admin/reports/attendance/"), {C, M, L}),
    "urgent flags report": (_get("/admin/reports/urgent-flags/"), {C, M, L}),
    "referrals report": (_get("/admin/reports/referrals/"), {C, M, L}),
    "report CSV": (_get("/admin/reports/referrals/overall.csv"), {C, M, L}),
    "API clients": (_get("/admin/interop/apiclient/"), set()),
    "API token issue": (_get("/admin/interop/apitoken/add/"), set()),
    "patient FHIR record download": (_get("/admin/interop/apiclient/export/{patient}/"), {C, N, K}),
}


def _allowed(status: int) -> bool:
    assert status in (200, 302, 403), status
    return status in (200, 302)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_pages_it_needs(request, role, records):
    user = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    got = {}
    want = {}
    for name, (attempt, allowed_roles) in MATRIX.items():
        got[name] = _allowed(attempt(client, records))
        want[name] = role in allowed_roles
    wrong = {
        name: ("allowed" if got[name] else "refused") for name in MATRIX if got[name] != want[name]
    }
    assert wrong == {}


def test_a_refused_edit_changes_nothing(client, nurse, records):
    client.force_login(nurse)
    _referral_edit(client, records)
    _transition(client, records)
    records["referral"].refresh_from_db()
    assert records["referral"].phone != "(555) 010-0456"
    assert records["referral"].status == "received"


def test_a_superuser_reaches_every_page(superuser, records):
    client = Client()
    client.force_login(superuser)
    for name, (attempt, _roles) in MATRIX.items():
        if name in {"session check-in action", "session cancel action"}:
            continue
        assert _allowed(attempt(client, records)), name
