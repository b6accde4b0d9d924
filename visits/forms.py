"""Forms of the visit page: one per section; times are clinic-local on the visit's day."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django import forms

from clinic.clock import local_dt
from visits.models import PremedicationGiven, Reaction, VitalsPhase

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def time_field(label: str = "Time (clinic time)") -> forms.TimeField:
    return forms.TimeField(label=label, widget=TIME)


class VisitForm(forms.Form):
    """A section's form; `instant(name)` turns a time field into an aware datetime."""

    def __init__(self, *args: Any, day: date, **kwargs: Any) -> None:
        self.day = day
        super().__init__(*args, **kwargs)
        if "reason" in self.fields:  # the amendment's reason comes last, by the button
            self.fields["reason"] = self.fields.pop("reason")

    def instant(self, name: str = "at") -> datetime:
        value: time = self.cleaned_data[name]
        return local_dt(self.day, value)


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        label="Reason for the amendment (after discharge)",
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )


class VitalsForm(VisitForm, ReasonMixin):
    phase = forms.ChoiceField(choices=VitalsPhase.choices)
    at = time_field()
    systolic = forms.IntegerField(label="Systolic (mmHg)", required=False, min_value=0)
    diastolic = forms.IntegerField(label="Diastolic (mmHg)", required=False, min_value=0)
    pulse = forms.IntegerField(label="Pulse (/min)", required=False, min_value=0)
    temperature = forms.DecimalField(
        label="Temperature (°C)", required=False, max_digits=4, decimal_places=1
    )
    spo2 = forms.IntegerField(label="SpO2 (%)", required=False, min_value=0)
    weight = forms.DecimalField(label="Weight (kg)", required=False, max_digits=5, decimal_places=1)

    VALUES = ("systolic", "diastolic", "pulse", "temperature", "spo2", "weight")

    def values(self) -> dict[str, Decimal | int | None]:
        return {k: self.cleaned_data.get(k) for k in self.VALUES}


class ArrivalForm(VisitForm):
    at = time_field("Arrived at (clinic time)")


class ChecksForm(VisitForm):
    def __init__(self, *args: Any, checks: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for check in checks:
            self.fields[f"check_{check.pk}"] = forms.BooleanField(
                label=check.requirement.name, required=False, initial=check.done
            )

    def done(self) -> dict[int, bool]:
        return {int(k.split("_")[1]): bool(v) for k, v in self.cleaned_data.items()}


class PremedsForm(VisitForm, ReasonMixin):
    def __init__(self, *args: Any, premeds: list[PremedicationGiven], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.premeds = premeds
        for premed in premeds:
            name = f"{premed.medicine} {premed.dose}".strip()
            self.fields[f"given_{premed.pk}"] = forms.BooleanField(
                label=f"{name}: given", required=False, initial=premed.given_at is not None
            )
            self.fields[f"at_{premed.pk}"] = forms.TimeField(
                label=f"{name}: time given", required=False, widget=TIME
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for premed in self.premeds:
            if data.get(f"given_{premed.pk}") and not data.get(f"at_{premed.pk}"):
                self.add_error(f"at_{premed.pk}", "Enter the time it was given.")
        return data

    def given(self) -> dict[int, datetime | None]:
        out = {}
        for premed in self.premeds:
            when = self.cleaned_data.get(f"at_{premed.pk}")
            ticked = self.cleaned_data.get(f"given_{premed.pk}")
            out[premed.pk] = local_dt(self.day, when) if ticked and when else None
        return out


class StartForm(VisitForm):
    product = forms.CharField(max_length=100)
    dose = forms.CharField(max_length=60)
    lot_number = forms.CharField(max_length=40)
    lot_expiry = forms.DateField(label="Lot expiry", widget=forms.DateInput(attrs={"type": "date"}))
    at = time_field("Infusion start (clinic time)")
    rate = forms.DecimalField(
        label="Starting rate (mL/h)", required=False, min_value=0, max_digits=6, decimal_places=1
    )


class RateForm(VisitForm):
    at = time_field()
    rate = forms.DecimalField(label="New rate (mL/h)", min_value=0, max_digits=6, decimal_places=1)
    note = forms.CharField(max_length=200, required=False)


class TimeForm(VisitForm, ReasonMixin):
    at = time_field()


class ReactionForm(VisitForm, ReasonMixin):
    at = time_field()
    symptoms = forms.CharField(max_length=300)
    grade = forms.TypedChoiceField(
        label="Grade (CTCAE v5)", choices=Reaction.Grade.choices, coerce=int
    )
    action = forms.ChoiceField(choices=Reaction.Action.choices)
    medicines = forms.CharField(label="Medicines given", max_length=300, required=False)
    outcome = forms.CharField(max_length=300, required=False)


class AmendForm(VisitForm, ReasonMixin):
    product = forms.CharField(max_length=100, required=False)
    dose_given = forms.CharField(label="Dose", max_length=60, required=False)
    lot_number = forms.CharField(max_length=40, required=False)
    lot_expiry = forms.DateField(
        label="Lot expiry", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
