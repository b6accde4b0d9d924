"""Bad input on the referral form is refused next to its field; nothing typed is lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from intake.models import Referral
from intake.validators import validate_icd10, validate_npi
from tests.factories import referral_form_data

pytestmark = pytest.mark.django_db

TOMORROW = (date.today() + timedelta(days=1)).isoformat()

CASES = [
    # (field, bad value, the message shown next to the field)
    ("given_name", "", "This field is required"),
    ("submitter_email", "not-an-email", "Enter a valid email address"),
    ("email", "two@@example.test", "Enter a valid email address"),
    ("phone", "call me maybe", "Enter a phone number using digits"),
    ("provider_phone", "123", "Enter a phone number using digits"),
    ("date_of_birth", TOMORROW, "must be in the past"),
    ("date_of_birth", "1890-01-01", "over 120"),
    ("date_of_birth", "2001-02-30", "Enter a valid date"),
    ("provider_npi", "12345", "exactly 10 digits"),
    ("provider_npi", "1234567890", "check digit is wrong"),
    ("diagnosis_code", "MS", "ICD-10-CM code such as"),
    ("diagnosis_code", "G35", "heading, not a billable code"),
    ("diagnosis_code", "G35.B", "G35.B0, G35.B1, G35.B2"),
    ("diagnosis_code", "G35.C", "G35.C0, G35.C1, G35.C2"),
    ("diagnosis_code", "G35.E", "not a billable ICD-10-CM FY2026 code"),
    ("diagnosis_code", "G36", "G36.0, G36.1, G36.8, G36.9"),
    ("diagnosis_code", "A00", "not a billable ICD-10-CM FY2026 code"),
    ("weight_kg", "5", "between 20 and 300 kg"),
    ("weight_kg", "999", "between 20 and 300 kg"),
    ("height_cm", "30", "between 100 and 250 cm"),
    ("measured_on", TOMORROW, "can't be in the future"),
    ("therapy", "999999", "Choose a therapy from the list"),
    ("therapy", "", "This field is required"),
    ("consent_to_contact", None, "permission to contact you"),
    ("no_known_drug_allergies", None, "or tick 'No known drug allergies'"),
    ("website", "http://spam.example", "Leave this field empty"),
]


@pytest.mark.parametrize(("field", "value", "message"), CASES)
def test_it_refuses_bad_input_and_keeps_everything_else(client, field, value, message):
    data = referral_form_data(**{field: value})
    response = client.post("/refer/", data)

    assert response.status_code == 200
    assert Referral.objects.count() == 0
    form = response.context["form"]
    errors = " ".join(
        str(e)
        for e in form.errors.get(field if field != "no_known_drug_allergies" else "allergies", [])
    )
    assert message in errors
    page = response.content.decode()
    assert "There is a problem" in page
    # What the user typed elsewhere comes back in the form.
    assert 'value="Example Neurology Associates"' in page
    assert 'value="DEMO12345"' in page


def test_allergies_and_no_known_allergies_together_are_refused(client):
    data = referral_form_data(allergies="Penicillin")
    response = client.post("/refer/", data)
    assert "Keep one" in str(response.context["form"].errors["allergies"])
    assert "Penicillin" in response.content.decode()
    assert Referral.objects.count() == 0


def test_a_minor_needs_a_guardian(client):
    dob = date.today().replace(year=date.today().year - 10).isoformat()
    response = client.post("/refer/", referral_form_data(date_of_birth=dob))
    assert "under 18" in str(response.context["form"].errors["guardian_name"])
    assert Referral.objects.count() == 0


def test_a_weight_dosed_therapy_needs_a_weight(client):
    from tests.factories import therapy

    data = referral_form_data(therapy=str(therapy("ivig").pk), weight_kg="")
    response = client.post("/refer/", data)
    assert Referral.objects.count() == 0
    assert response.context["form"].errors["weight_kg"]


def test_the_error_summary_links_to_each_field(client):
    response = client.post("/refer/", referral_form_data(provider_npi="1"))
    assert 'href="#id_provider_npi"' in response.content.decode()


def test_a_post_without_the_forms_key_gets_a_400_not_a_500(client):
    response = client.post("/refer/", {"given_name": "x"})
    assert response.status_code == 400
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("g35a", "G35.A"),
        ("G35.B1", "G35.B1"),
        ("G36.0", "G36.0"),
        ("G37.3", "G37.3"),
        (" G35.d ", "G35.D"),
        ("G35C2", "G35.C2"),
    ],
)
def test_billable_and_other_neuro_immunology_codes_are_accepted(raw, expected):
    assert validate_icd10(raw) == expected


@pytest.mark.parametrize("npi", ["1234567893", "1234-567-893", "1245319599"])
def test_valid_npis_pass_the_luhn_check(npi):
    assert len(validate_npi(npi)) == 10
