"""factory_boy factories for every app. Fake people only."""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO

import factory
from django.contrib.auth import get_user_model
from PIL import Image
from pypdf import PdfWriter

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
    password = factory.django.Password("correct-horse-battery")


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


def referral_form_data(**overrides) -> dict:
    """Return a valid POST for the public referral form (fake person); override any field."""
    data = {
        "submission_key": str(uuid.uuid4()),
        "submitter_kind": "provider",
        "submitter_name": "Demo Office Manager",
        "submitter_email": "office@example.test",
        "submitter_phone": "(555) 010-0100",
        "given_name": "Testy",
        "family_name": "Demopatient",
        "preferred_name": "",
        "date_of_birth": "1980-03-27",
        "sex": "female",
        "email": "testy@example.test",
        "phone": "(555) 010-0199",
        "address_line1": "1 Example Street",
        "address_line2": "",
        "city": "Springfield",
        "region": "ST",
        "postal_code": "00000",
        "preferred_language": "en",
        "guardian_name": "",
        "guardian_relationship": "",
        "guardian_phone": "",
        "payer": "Demo Health Plan",
        "member_id": "DEMO12345",
        "group_number": "",
        "provider_name": "Dr. Demo Neurologist",
        "provider_practice": "Example Neurology Associates",
        "provider_npi": "1234567893",
        "provider_phone": "(555) 010-0200",
        "provider_fax": "",
        "diagnosis_code": "G35.A",
        "weight_kg": "70",
        "height_cm": "170",
        "measured_on": "2026-10-01",
        "no_known_drug_allergies": "on",
        "allergies": "",
        "current_medications": "",
        "prior_therapies": "",
        "therapy": str(therapy("ocrelizumab").pk),
        "dose": "300 mg",
        "frequency": "Day 1 and day 15",
        "order_notes": "",
        "consent_to_contact": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _small_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _small_image(kind: str) -> bytes:
    out = BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 60)).save(out, kind)
    return out.getvalue()


# Real, small documents: uploads are decoded on the server (intake/uploads.py).
PDF_BYTES = _small_pdf()
PNG_BYTES = _small_image("PNG")
JPEG_BYTES = _small_image("JPEG")


# --- scheduling ---------------------------------------------------------------------------


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scheduling.Chair"
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Chair {n + 1}")
    kind = "chair"
    position = factory.Sequence(lambda n: n)


def clinic_week(
    *,
    chairs: int = 4,
    beds: int = 0,
    nurses: int = 1,
    opens: str = "07:30",
    closes: str = "18:00",
    last_start: str = "16:00",
    weekdays: range = range(5),
) -> list:
    """Set up a clinic: chairs (then beds), the same hours and nurses every weekday."""
    from datetime import time

    from scheduling.models import Chair, NurseShift, OpeningHours

    def t(value: str) -> time:
        return time.fromisoformat(value)

    made = [ChairFactory(name=f"Chair {i + 1}", position=i) for i in range(chairs)]
    made += [
        ChairFactory(name=f"Bed {i + 1}", kind=Chair.Kind.BED, position=chairs + i)
        for i in range(beds)
    ]
    for weekday in weekdays:
        OpeningHours.objects.update_or_create(
            weekday=weekday,
            defaults={"opens": t(opens), "closes": t(closes), "last_start": t(last_start)},
        )
        NurseShift.objects.create(weekday=weekday, starts=t(opens), ends=t(closes), nurses=nurses)
    return made


def ready_course(code: str = "ocrelizumab", start_after: date = date(2027, 1, 4), **kwargs):
    """Return a course whose prerequisites are all recorded as met."""
    from scheduling.courses import course_create

    course = course_create(
        patient=kwargs.pop("patient", None) or PatientFactory(),
        therapy=therapy(code),
        start_after=start_after,
    )
    course.prerequisites.update(met=True, met_on=start_after)
    for key, value in kwargs.items():
        setattr(course, key, value)
    if kwargs:
        course.save()
    return course


# --- Questionnaires, flags, on-call roster (intake) -------------------------------------------


def instrument(code: str):
    """Return the current version of an instrument loaded from intake/instruments/."""
    from intake.models import Instrument

    return Instrument.objects.get(code=code, is_current=True)


def _now():
    from django.utils import timezone

    return timezone.now()


def _twelve_hours_later(shift):
    from datetime import timedelta

    return shift.starts_at + timedelta(hours=12)


class OnCallShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "intake.OnCallShift"

    clinician = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(_now)
    ends_at = factory.LazyAttribute(_twelve_hours_later)
    phone = "(555) 010-0300"


def sent_check(patient=None, codes=("safety_check", "ms_symptoms", "phq9", "gad7"), **kwargs):
    """Send a pre-visit check through the service; return (request, url)."""
    from intake.questionnaires import questionnaire_send

    kwargs.setdefault("email", False)
    return questionnaire_send(
        patient=patient or PatientFactory(), instruments=list(codes), sent_by=None, **kwargs
    )
