"""Demo referrals with obviously fake people (names from a test-data vocabulary)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.utils import timezone

from clinic.models import Therapy
from intake.models import Referral, ReferralStatus
from intake.referrals import WorkflowError, referral_transition

DEMO_PEOPLE = [
    ("Testy", "Demopatient", "ocrelizumab", []),
    ("Sample", "Personson", "natalizumab", ["in_review"]),
    ("Example", "Fakename", "ublituximab", ["in_review", "benefits_check"]),
    (
        "Placeholder",
        "Notreal",
        "methylprednisolone",
        ["in_review", "benefits_check", "prior_auth", "accepted"],
    ),
    ("Dummy", "Mockington", "alemtuzumab", ["in_review", "needs_info"]),
    ("Trial", "Fixtureton", "ocrelizumab", ["in_review", "benefits_check", "prior_auth"]),
    (
        "Pretend",
        "Patientová",
        "natalizumab",
        ["in_review", "benefits_check", "prior_auth", "accepted"],
    ),
    ("Imaginary", "Case", "ivig", ["declined"]),
    ("Fictional", "Doe-Demo", "rituximab", []),
    ("Mock", "Referralman", "ofatumumab", ["in_review"]),
    (
        "Stand",
        "In-Patient",
        "ocrelizumab",
        ["in_review", "benefits_check", "prior_auth", "accepted"],
    ),
    ("Nobody", "Inparticular", "glatiramer", ["withdrawn"]),
]
# 1234567893 is the NPI standard's own worked example: valid check digit, nobody's number.
DEMO_NPI = "1234567893"


# Every move says why (intake.workflow.NOTE_REQUIRED): the demo's reasons.
DEMO_REASONS = {
    "in_review": "Order and documents received; starting triage.",
    "benefits_check": "Clinical review done; checking benefits.",
    "prior_auth": "Benefits verified; prior authorisation requested from the payer.",
    "accepted": "Prior authorisation approved.",
    "needs_info": "Demo data: the order is missing the dose.",
    "declined": "Demo data: therapy not covered at this site of care.",
    "withdrawn": "Demo data: the patient chose another clinic.",
}


def seed(stdout: OutputWrapper) -> None:
    if Referral.objects.filter(submitter_email__endswith="@demo.chairside.example").exists():
        return
    coordinator = get_user_model().objects.get(username="coordinator")
    for index, (given, family, therapy_code, moves) in enumerate(DEMO_PEOPLE):
        referral = Referral.objects.create(
            submission_key=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-{index}"),
            received_at=timezone.now() - timedelta(days=index, hours=index),
            submitter_kind=Referral.SubmitterKind.PROVIDER,
            submitter_name="Demo Referring Office",
            submitter_email=f"office{index}@demo.chairside.example",
            submitter_phone="(555) 010-0100",
            given_name=given,
            family_name=family,
            date_of_birth=date(1970 + index * 2, 1 + index % 12, 1 + index),
            sex="female" if index % 2 else "male",
            email=f"patient{index}@demo.chairside.example",
            phone=f"(555) 010-01{index:02d}",
            address_line1=f"{index + 1} Example Street",
            city="Springfield",
            region="ST",
            postal_code="00000",
            preferred_language="es" if index % 4 == 1 else "en",
            payer="Demo Health Plan",
            member_id=f"DEMO{index:05d}",
            provider_name="Dr. Demo Neurologist",
            provider_practice="Example Neurology Associates",
            provider_npi=DEMO_NPI,
            provider_phone="(555) 010-0200",
            diagnosis_code="G35.A",
            weight_kg=70,
            height_cm=170,
            measured_on=date.today() - timedelta(days=30),
            no_known_drug_allergies=True,
            therapy=Therapy.objects.get(code=therapy_code),
            consent_to_contact=True,
        )
        for target in moves:
            try:
                referral_transition(
                    referral=referral,
                    to_status=target,
                    by=coordinator,
                    note=DEMO_REASONS.get(target, "Demo data"),
                )
            except WorkflowError as exc:  # pragma: no cover - demo table is hand-checked
                stdout.write(f"demo referral {referral.reference}: {exc}")
    stdout.write(f"Created {len(DEMO_PEOPLE)} demo referrals.")


__all__ = ["ReferralStatus", "seed"]


# --- Demo questionnaires, flags and on-call roster (fake people only) ---------------------------

_seed_referrals = seed


def _demo_answers(*, item9: int = 0, fatigue: int = 3, new_neuro: int = 0) -> dict:
    answers = {
        "fever_infection": 0,
        "antibiotics": 0,
        "vaccine": 0,
        "pregnant": 9,
        "reaction_last": 0,
        "new_neuro": new_neuro,
        "new_symptom": 0,
        **{f"phq9_{i}": 1 for i in range(1, 9)},
        "phq9_9": item9,
        **{f"gad7_{i}": 1 for i in range(1, 8)},
    }
    for domain in ["motor", "sensory", "visual", "cognitive", "emotional", "bladder_bowel"]:
        answers |= {f"{domain}_severity": 2, f"{domain}_change": "same"}
    return answers | {"fatigue_severity": fatigue, "fatigue_change": "same"}


def seed_questionnaires(stdout: OutputWrapper) -> None:
    """Send and answer a few pre-visit checks for accepted demo patients; roster the on-call."""
    from intake.models import OnCallShift, QuestionnaireRequest
    from intake.questionnaires import (
        questionnaire_save_page,
        questionnaire_send,
        questionnaire_submit,
        request_steps,
    )

    User = get_user_model()
    oncall = User.objects.filter(username="oncall").first()
    if oncall is not None and not OnCallShift.objects.exists():
        today = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
        for day in range(-1, 7):
            # Day shifts only, so the roster page shows its overnight gaps.
            OnCallShift.objects.create(
                clinician=oncall,
                starts_at=today + timedelta(days=day),
                ends_at=today + timedelta(days=day, hours=12),
                phone="(555) 010-0300",
            )
    if QuestionnaireRequest.objects.exists():
        return
    patients = [
        r.patient
        for r in Referral.objects.filter(status=ReferralStatus.ACCEPTED, patient__isnull=False)
        .select_related("patient")
        .order_by("pk")
    ]
    codes = ["safety_check", "ms_symptoms", "phq9", "gad7"]
    now = timezone.now()
    plans = [
        # (answers a month ago, answers today)
        (_demo_answers(fatigue=2), _demo_answers(fatigue=6)),  # fatigue worse by 4: urgent
        (None, _demo_answers(new_neuro=1)),  # on natalizumab: possible PML, urgent
        (_demo_answers(), _demo_answers(item9=1)),  # PHQ-9 item 9: urgent
    ]
    sent = 0
    for patient, (earlier, latest) in zip(patients, plans, strict=False):
        for answers, when in ((earlier, now - timedelta(days=30)), (latest, now)):
            if answers is None:
                continue
            qreq, _url = questionnaire_send(
                patient=patient, instruments=codes, sent_by=None, email=False
            )
            for step in request_steps(qreq):
                questionnaire_save_page(qreq=qreq, step=step, answers=answers)
            questionnaire_submit(qreq=qreq, now=when)
            sent += 1
    if patients:
        questionnaire_send(patient=patients[0], instruments=codes, sent_by=None, email=False)
    stdout.write(f"Created {sent} demo questionnaire responses and an on-call roster.")


def seed(stdout: OutputWrapper) -> None:  # extends the referral seed above
    _seed_referrals(stdout)
    seed_questionnaires(stdout)
