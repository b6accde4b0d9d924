"""Demo referrals with obviously fake people (names from a test-data vocabulary)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from clinic.models import Therapy
from intake.models import Referral, ReferralStatus
from intake.services import WorkflowError, referral_transition

DEMO_PEOPLE = [
    ("Testy", "Demopatient", "ocrelizumab", []),
    ("Sample", "Personson", "natalizumab", ["in_review"]),
    ("Example", "Fakename", "ublituximab", ["in_review", "benefits_check"]),
    ("Placeholder", "Notreal", "methylprednisolone", ["in_review", "benefits_check",
                                                      "accepted"]),
    ("Dummy", "Mockington", "alemtuzumab", ["in_review", "needs_info"]),
    ("Trial", "Fixtureton", "ocrelizumab", ["in_review", "benefits_check", "prior_auth"]),
    ("Pretend", "Patientová", "natalizumab", ["in_review", "benefits_check", "accepted"]),
    ("Imaginary", "Case", "ivig", ["declined"]),
    ("Fictional", "Doe-Demo", "rituximab", []),
    ("Mock", "Referralman", "ofatumumab", ["in_review"]),
    ("Stand", "In-Patient", "ocrelizumab", ["in_review", "benefits_check", "prior_auth",
                                           "accepted"]),
    ("Nobody", "Inparticular", "glatiramer", ["withdrawn"]),
]
# 1234567893 is the NPI standard's own worked example: valid check digit, nobody's number.
DEMO_NPI = "1234567893"


def seed(stdout) -> None:
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
                    referral=referral, to_status=target, by=coordinator,
                    note="Demo data" if target in {"needs_info", "declined", "withdrawn"} else "",
                )
            except WorkflowError as exc:  # pragma: no cover - demo table is hand-checked
                stdout.write(f"demo referral {referral.reference}: {exc}")
    stdout.write(f"Created {len(DEMO_PEOPLE)} demo referrals.")


__all__ = ["ReferralStatus", "seed"]
