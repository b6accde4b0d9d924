"""The rules every referral obeys, however it is written: one set of validators.

`ReferralRules` is mixed into every form that writes a referral: the public referral form,
the staff site's referral form and `intake.forms.referral_errors` for anything imported. Field rules
(date of birth, measurement date, weight and height ranges, NPI check digit, ICD-10-CM code
from the clinic's list, phone numbers) and the rules across fields (allergies, guardian for
a minor, weight for weight-dosed therapies) live here and nowhere else.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.validators import validate_icd10, validate_npi, validate_phone


class ReferralRules:
    """Form mixin: clean_<field> and clean() for a referral's fields (those the form has)."""

    cleaned_data: dict[str, Any]
    fields: dict[str, Any]

    def clean_date_of_birth(self) -> date:
        value = self.cleaned_data["date_of_birth"]
        today = date.today()
        if value >= today:
            raise forms.ValidationError(_("The date of birth must be in the past."))
        if today.year - value.year > 120:
            raise forms.ValidationError(_("Check the year: that would make the patient over 120."))
        return value

    def clean_measured_on(self) -> date | None:
        value = self.cleaned_data.get("measured_on")
        if value and value > date.today():
            raise forms.ValidationError(_("The measurement date can't be in the future."))
        return value

    def clean_weight_kg(self) -> Decimal | None:
        value = self.cleaned_data.get("weight_kg")
        if value is not None and not Decimal("20") <= value <= Decimal("300"):
            raise forms.ValidationError(_("Enter a weight between 20 and 300 kg."))
        return value

    def clean_height_cm(self) -> Decimal | None:
        value = self.cleaned_data.get("height_cm")
        if value is not None and not Decimal("100") <= value <= Decimal("250"):
            raise forms.ValidationError(_("Enter a height between 100 and 250 cm."))
        return value

    def clean_provider_npi(self) -> str:
        return validate_npi(self.cleaned_data["provider_npi"])

    def clean_diagnosis_code(self) -> str:
        return validate_icd10(self.cleaned_data["diagnosis_code"])

    def _clean_phone(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        return validate_phone(value) if value else value

    def clean_phone(self) -> str:
        return self._clean_phone("phone")

    def clean_submitter_phone(self) -> str:
        return self._clean_phone("submitter_phone")

    def clean_provider_phone(self) -> str:
        return self._clean_phone("provider_phone")

    def clean_provider_fax(self) -> str:
        return self._clean_phone("provider_fax")

    def clean_guardian_phone(self) -> str:
        return self._clean_phone("guardian_phone")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        nkda = cleaned.get("no_known_drug_allergies")
        allergies = (cleaned.get("allergies") or "").strip()
        if "allergies" in self.fields and not nkda and not allergies:
            self.add_error(
                "allergies", _("List the patient's allergies, or tick 'No known drug allergies'.")
            )
        if nkda and allergies:
            self.add_error(
                "allergies",
                _("You ticked 'No known drug allergies' but also listed allergies. Keep one."),
            )
        dob = cleaned.get("date_of_birth")
        if dob and "guardian_name" in self.fields and not cleaned.get("guardian_name"):
            today = date.today()
            age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
            if age < 18:
                self.add_error(
                    "guardian_name", _("The patient is under 18: give a parent or guardian.")
                )
        therapy = cleaned.get("therapy")
        if therapy and therapy.needs_weight_on_order and cleaned.get("weight_kg") is None:
            self.add_error("weight_kg", _("This therapy is dosed by weight: give the weight."))
        return cleaned
