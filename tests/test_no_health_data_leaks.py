"""Emails and log lines carry no health information, across a representative run of the flows.

One run: a referral submitted on the public form and accepted, its course booked in admin, a
pre-visit check sent, answered with urgent answers and escalated, session reminders sent,
a session cancelled from the manage link, and a failed email. Every email (subject and body)
and every log record (message, arguments and traceback) is then searched for diagnosis
codes, therapy names and brands, questionnaire wording, flag labels and the answers given.
"""

from __future__ import annotations

import logging
import re
import traceback
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from clinic.models import Therapy
from intake.flags import flags_escalate
from intake.models import Flag, QuestionnaireRequest, Referral
from scheduling.models import Session
from tests.factories import OnCallShiftFactory, clinic_week, instrument, referral_form_data

pytestmark = pytest.mark.django_db

DOB = "1980-03-27"
# Distinct markers in every clinical free-text field, so a leak is unambiguous.
CLINICAL_TEXT = {
    "allergies": "Sulfa-rash-marker-QX1",
    "current_medications": "Baclofen-marker-QX2",
    "prior_therapies": "Copaxone-marker-QX3",
    "order_notes": "Order-note-marker-QX4",
    "dose": "300 mg marker-QX5",
}
ANSWER_TEXT = "Numb left leg for three days marker-QX6"


@pytest.fixture
def captured(caplog):
    """Collect every log record at every level from every logger."""
    caplog.set_level(logging.DEBUG)
    for name in ("axes", "django", "intake", "scheduling", "clinic"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _questionnaire_steps(item9: int = 2) -> dict[int, dict]:
    domains = ["fatigue", "motor", "sensory", "visual", "cognitive", "emotional", "bladder_bowel"]
    severity = {f"{d}_severity": "6" for d in domains} | {f"{d}_change": "worse" for d in domains}
    return {
        1: {
            "fever_infection": "1",
            "antibiotics": "1",
            "vaccine": "0",
            "pregnant": "9",
            "reaction_last": "0",
            "new_neuro": "1",
        },
        2: {k: v for k, v in severity.items() if k.split("_")[0] in domains[:4]},
        3: {k: v for k, v in severity.items() if k.split("_")[0] not in domains[:4]},
        4: {"new_symptom": "0", "notes": ANSWER_TEXT},
        5: {f"phq9_{i}": "3" for i in range(1, 9)} | {"phq9_9": str(item9)},
        6: {f"gad7_{i}": "3" for i in range(1, 8)},
    }


def _forbidden() -> list[str]:
    """Everything that is health information here, as strings to search for."""
    words = set(CLINICAL_TEXT.values()) | {ANSWER_TEXT, "G35.A", "G35"}
    for therapy in Therapy.objects.all():
        words |= {therapy.name, therapy.brand, therapy.safety_programme}
    for code in ("safety_check", "ms_symptoms", "phq9", "gad7"):
        for page in instrument(code).definition.get("pages", []):
            for item in page.get("items", []):
                text = item.get("text", "")
                if len(text) > 20:
                    words.add(text)
    words |= set(Flag.objects.values_list("label", flat=True))
    words |= {"PHQ-9", "GAD-7", "depress", "suicid", "relapse", "fever"}
    return sorted(w for w in words if w and len(w) >= 4)


def _found(text: str, forbidden: list[str]) -> list[str]:
    lowered = text.casefold()
    hits = [w for w in forbidden if w.casefold() in lowered]
    if re.search(r"\bG3[5-7](\.[0-9A-Z]{1,4})?\b", text):
        hits.append("ICD-10 code")
    return hits


def _run_the_flows(django_capture_on_commit_callbacks, coordinator, scheduler, clinician):
    public = Client()
    form = referral_form_data(
        **CLINICAL_TEXT,
        no_known_drug_allergies="",
        therapy=str(Therapy.objects.get(code="natalizumab").pk),
        diagnosis_code="G35.A",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert public.post("/refer/", form).status_code == 302
    referral = Referral.objects.get()

    staff = Client()
    staff.force_login(coordinator)
    for status in ("in_review", "benefits_check", "prior_auth", "accepted"):
        with django_capture_on_commit_callbacks(execute=True):
            url = f"/admin/intake/referral/{referral.pk}/transition/{status}/"
            assert staff.post(url, {"note": "Checked"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    patient = referral.patient

    # Book the first dose tomorrow, so the two-day reminder is due.
    clinic_week(chairs=2, weekdays=range(7))
    course = patient.courses.get()
    course.prerequisites.update(met=True, met_on=timezone.localdate())
    course.start_after = timezone.localdate() + timedelta(days=1)
    course.save()
    dose = course.doses.order_by("sequence").first()
    booker = Client()
    booker.force_login(scheduler)
    url = f"/admin/scheduling/treatmentcourse/{course.pk}/dose/{dose.pk}/book/"
    options = booker.get(url).context["options"]
    with django_capture_on_commit_callbacks(execute=True):
        assert booker.post(url, {"pick": options[0][0]}).status_code == 302

    # A pre-visit check with urgent answers, and its escalation.
    clinician.email = "dr.oncall@staff.chairside.test"
    clinician.save()
    OnCallShiftFactory(clinician=clinician, starts_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        sent = staff.post(
            "/admin/intake/questionnairerequest/add/",
            {
                "patient": patient.pk,
                "visit": str(course.sessions.get().pk),
                "instruments": [
                    instrument(c).pk for c in ("safety_check", "ms_symptoms", "phq9", "gad7")
                ],
            },
        )
    assert sent.status_code == 302
    invite = mail.outbox[-1].body
    q_url = re.search(r"https://chairside\.test(/q/[\w-]+/)", invite).group(1)
    patient_browser = Client()
    assert patient_browser.post(q_url, {"date_of_birth": DOB}).status_code == 302
    for number, answers in _questionnaire_steps().items():
        step = patient_browser.post(f"{q_url}step/{number}/", {**answers, "action": "next"})
        assert step.status_code == 302, step.content.decode()[:500]
    with django_capture_on_commit_callbacks(execute=True):
        assert patient_browser.post(f"{q_url}review/").status_code == 302
    assert QuestionnaireRequest.objects.get(patient=patient).status == "submitted"
    assert Flag.objects.filter(patient=patient, level="urgent").exists()
    flags_escalate(now=timezone.now() + timedelta(hours=2))

    # Reminders, then the patient cancels from the manage link in the reminder.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reminder = next(m for m in mail.outbox if "/my/" in m.body)
    my_url = re.search(r"https://chairside\.test(/my/[\w-]+/)", reminder.body).group(1)
    assert patient_browser.post(my_url, {"date_of_birth": DOB}).status_code == 302
    session = Session.objects.get(course=course)
    with django_capture_on_commit_callbacks(execute=True):
        patient_browser.post(f"{my_url}{session.pk}/cancel/", {"reason": CLINICAL_TEXT["dose"]})


def test_no_email_or_log_line_carries_health_information(
    captured, django_capture_on_commit_callbacks, coordinator, scheduler, clinician
):
    _run_the_flows(django_capture_on_commit_callbacks, coordinator, scheduler, clinician)
    forbidden = _forbidden()

    # The run did send what it should: confirmation, intake notice, booking, invite, on-call
    # notice, escalation and reminder.
    assert len(mail.outbox) >= 6
    leaks = {}
    for n, message in enumerate(mail.outbox):
        for part, text in (("subject", message.subject), ("body", message.body)):
            hits = _found(text, forbidden)
            if hits:
                leaks[f"email {n} {part} to {message.to}"] = hits
    records = captured.records
    assert records, "the run should have logged something"
    for record in records:
        text = record.getMessage()
        if record.exc_text:
            text += record.exc_text
        hits = _found(text, forbidden)
        if hits:
            leaks[f"log {record.name}: {text[:120]}"] = hits
    assert leaks == {}


def test_a_failed_email_is_logged_without_health_information(
    captured, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.test_no_health_data_leaks.BrokenBackend"
    form = referral_form_data(**CLINICAL_TEXT, no_known_drug_allergies="", diagnosis_code="G35.A")
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/refer/", form).status_code == 302
    # The outbox logs each failed try (a warning: it will try again).
    failures = [r for r in captured.records if r.levelno >= logging.WARNING]
    assert any(r.name == "clinic.notices" for r in failures)
    forbidden = _forbidden()
    for record in failures:
        text = record.getMessage()
        if record.exc_info:
            text += "".join(traceback.format_exception(*record.exc_info))
        assert _found(text, forbidden) == []


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")
