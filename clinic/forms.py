from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y"]


class DateOfBirthForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Your date of birth"),
        help_text=_("We ask this to make sure the link is being opened by you."),
        widget=DateInput(attrs={"autocomplete": "bday"}),
        input_formats=DATE_INPUT_FORMATS,
        error_messages={
            "required": _("Enter your date of birth."),
            "invalid": _("Enter a real date, for example 1980-03-27."),
        },
    )

    def clean_date_of_birth(self) -> date:
        value = self.cleaned_data["date_of_birth"]
        if value > date.today() or value.year < 1900:
            raise forms.ValidationError(_("Enter a real date of birth."))
        return value
