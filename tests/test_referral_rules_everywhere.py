"""One set of referral rules for every way a referral is written: the public form, the staff
site's referral form and imports. Diagnosis codes come from the clinic's FY2026 list."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict
from django.test import RequestFactory

from intake.forms import ReferralForm, ReferralStaffForm, referral_errors
from intake.models import Referral
from intake.validators import billable_codes, code_list, subcodes
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _staff_data(referral: Referral, **changes) -> dict:
    data = {k: v for k, v in model_to_dict(referral).items() if k in ReferralStaffForm._meta.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return data | changes


def test_the_code_list_is_data_with_its_release():
    codes = code_list()
    assert (codes["release"], codes["valid_from"]) == ("FY2026", "2025-10-01")
    assert "G35" not in billable_codes() and "G35.A" in billable_codes()
    assert subcodes("G35.C") == ["G35.C0", "G35.C1", "G35.C2"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("diagnosis_code", "G35", "G35.A, G35.B0"),
        ("diagnosis_code", "G35.B", "G35.B0, G35.B1, G35.B2"),
        ("diagnosis_code", "XYZ!!", "such as G35.A"),
        ("diagnosis_code", "G37", "G37.3"),
        ("diagnosis_code", "Z99", "not a billable"),
        ("diagnosis_code", "Q99.9X", "not a billable"),
        ("provider_npi", "1234567890", "check digit"),
        ("weight_kg", "5", "between 20 and 300"),
        ("date_of_birth", "2999-01-01", "in the past"),
        ("measured_on", "2999-01-01", "future"),
    ],
)
def test_the_staff_referral_form_refuses_what_the_public_form_refuses(field, value, message):
    referral = ReferralFactory()
    form = ReferralStaffForm(data=_staff_data(referral, **{field: value}), instance=referral)
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_the_staff_form_accepts_a_valid_referral_and_normalises_the_code():
    referral = ReferralFactory()
    form = ReferralStaffForm(data=_staff_data(referral, diagnosis_code="g35b1"), instance=referral)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["diagnosis_code"] == "G35.B1"


def test_the_admin_writes_referrals_through_the_staff_form(superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[Referral]
    assert issubclass(model_admin.get_form(request, ReferralFactory()), ReferralStaffForm)


def test_the_public_and_staff_forms_share_one_set_of_rules():
    for name in ("clean_diagnosis_code", "clean_provider_npi", "clean_weight_kg", "clean"):
        assert getattr(ReferralForm, name) is not None
    from intake.referral_rules import ReferralRules

    assert issubclass(ReferralForm, ReferralRules) and issubclass(ReferralStaffForm, ReferralRules)
    assert ReferralForm.clean_diagnosis_code is ReferralStaffForm.clean_diagnosis_code


def test_an_import_is_checked_by_the_same_rules():
    referral = ReferralFactory()
    errors = referral_errors(_staff_data(referral, diagnosis_code="G35", provider_npi="1"))
    assert set(errors) == {"diagnosis_code", "provider_npi"}
    assert referral_errors(_staff_data(referral)) == {}
