"""factory_boy factories for every app. Fake people only."""

from __future__ import annotations

import uuid
from datetime import date

import factory
from django.contrib.auth import get_user_model

from clinic.models import Patient, Therapy
from intake.models import Referral


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.chairside.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Staffer{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")


def therapy(code: str) -> Therapy:
    """Return a therapy from the catalogue the data migration loads."""
    return Therapy.objects.get(code=code)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_given_name = factory.Sequence(lambda n: f"Testy{n}")
    legal_family_name = "Demopatient"
    date_of_birth = date(1980, 3, 27)
    sex = "female"
    email = factory.Sequence(lambda n: f"patient{n}@example.test")
    phone = "(555) 010-0199"
    preferred_language = "en"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    submission_key = factory.LazyFunction(uuid.uuid4)
    submitter_kind = Referral.SubmitterKind.PROVIDER
    submitter_name = "Demo Office"
    submitter_email = "office@example.test"
    given_name = factory.Sequence(lambda n: f"Sample{n}")
    family_name = "Personson"
    date_of_birth = date(1975, 6, 1)
    sex = "male"
    phone = "(555) 010-0123"
    address_line1 = "1 Example Street"
    city = "Springfield"
    region = "ST"
    postal_code = "00000"
    payer = "Demo Health Plan"
    member_id = "DEMO00001"
    provider_name = "Dr. Demo"
    provider_practice = "Example Neurology"
    provider_npi = "1234567893"
    provider_phone = "(555) 010-0200"
    diagnosis_code = "G35.A"
    weight_kg = 70
    height_cm = 170
    measured_on = date(2026, 10, 1)
    no_known_drug_allergies = True
    therapy = factory.LazyFunction(lambda: therapy("ocrelizumab"))
    consent_to_contact = True
